"""The gallery page: ``index.html`` in a run's output folder, with thumbnails in ``thumbs/``.

:func:`write_gallery` is called at the end of every run (interrupted ones too) and by
``pinglass report OUT``. The page is self-contained: CSS and script inline, images by relative
path, so the folder works from ``file://`` and can be zipped and sent. :func:`render_page` is a
function of (report, run folder) alone, so a page over several runs (studio mode) can build each
person's page the same way and link to it.

Jinja2 renders it with autoescape on: every preset text, file name and vendor error reaches the
page as HTML text, and the detail data is embedded with ``tojson``, which escapes ``<``, ``>``
and ``&`` so no string can close the ``<script>`` element that carries it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pinglass.report.gallery._thumbs import THUMB_PX, THUMBS_DIR, reference_thumbs
from pinglass.report.gallery._view import Page, build_page
from pinglass.report.models import Report
from pinglass.run_folder import RunFolder
from pinglass.runner.files import write_atomic

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = ["GALLERY_NAME", "THUMBS_DIR", "THUMB_PX", "render_page", "write_gallery"]

GALLERY_NAME = RunFolder.INDEX


def write_gallery(
    report: Report, out_dir: Path, *, references: Mapping[str, bytes] | None = None
) -> Path:
    """Write ``out_dir/index.html`` (atomically) and the thumbnails it needs; return its path.

    ``references`` maps reference file names to the face crops the run sent; they are copied
    into ``thumbs/refs/`` so the page can show them. Without it, earlier copies are used.
    """
    html = render_page(report, out_dir, references=references)
    path = out_dir / GALLERY_NAME
    write_atomic(path, html.encode("utf-8"))
    return path


def render_page(
    report: Report, out_dir: Path, *, references: Mapping[str, bytes] | None = None
) -> str:
    """The gallery page of one run as HTML text; writes missing thumbnails into ``out_dir``."""
    page = build_page(report, out_dir, reference_thumbs(out_dir, references))
    return _render(page)


def _render(page: Page) -> str:
    from markupsafe import Markup

    env = _environment()
    assert env.loader is not None  # noqa: S101 - set just above, for mypy
    style = env.loader.get_source(env, "gallery.css")[0]
    script = env.loader.get_source(env, "gallery.js")[0]
    return env.get_template("index.html.j2").render(
        page=page,
        # Our own files, not data: inserted verbatim. The page's Content-Security-Policy allows
        # exactly these two blocks by hash, so any other script or style would not run.
        style=Markup(style),  # noqa: S704
        script=Markup(script),  # noqa: S704
        style_hash=_csp_hash(style),
        script_hash=_csp_hash(script),
    )


def _csp_hash(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("pinglass.report.gallery", "templates"),
        autoescape=True,  # every template, whatever its name: the page is HTML throughout
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
