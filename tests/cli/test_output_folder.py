"""``pinglass generate`` creates its output folder only when it writes something, as a subprocess.

No empty folder after a dry run, a declined or unconfirmed run, an unknown ``--only`` id or a
missing refs folder; ``--dry-run --fresh`` renames nothing, and a real ``--fresh`` run moves every
file of the earlier run aside, the contact sheet included.
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pinglass.providers import PROVIDERS

pytestmark = pytest.mark.slow

SAMPLE_REFS = Path(__file__).resolve().parents[2] / "sample_refs"
GOOD_REFS = ("IMG_0412.jpg", "IMG_0427.jpg", "IMG_0415.jpg")
_VENDOR_VARS = {var for entry in PROVIDERS.values() for var in entry.key_env_vars}


def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PINGLASS_") and k.rstrip("0123456789").rstrip("_") not in _VENDOR_VARS
    }
    env.update({"PINGLASS_MOCK_LATENCY": "0", "COLUMNS": "200", "TERM": "dumb", "NO_COLOR": "1"})
    return env


def _pinglass(cwd: Path, *args: str, stdin: int | None = subprocess.DEVNULL) -> tuple[int, str]:
    """Run ``python -m pinglass ARGS`` in ``cwd``; return the exit code and both streams
    (results on stdout, the rest on stderr)."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "pinglass", *args],
        cwd=cwd,
        env=_env(),
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A working folder with three usable selfies in ``refs/`` and a three-prompt preset."""
    (tmp_path / "refs").mkdir()
    for name in GOOD_REFS:
        shutil.copy(SAMPLE_REFS / name, tmp_path / "refs" / name)
    prompts = "".join(
        f'\n[[prompts]]\nid = "{pid}"\ntext = "portrait, {pid}"\n'
        for pid in ("grey", "window", "park")
    )
    (tmp_path / "tiny.toml").write_text(
        '[preset]\nname = "tiny"\n\n[defaults]\nwidth = 512\nheight = 512\n' + prompts,
        encoding="utf-8",
    )
    return tmp_path


def _generate(work: Path, *extra: str, refs: str = "refs") -> list[str]:
    return ["generate", refs, "--preset", str(work / "tiny.toml"), "--provider", "mock", *extra]


def _priced(work: Path) -> None:
    """Make the mock cost money, so a run needs confirmation."""
    (work / "pinglass.toml").write_text('[prices]\n"mock/mock-portrait" = 0.01\n')


def _names(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


def test_a_dry_run_leaves_no_folder(work: Path) -> None:
    code, stderr = _pinglass(work, *_generate(work, "--dry-run", "--out", "new/run"))
    assert code == 0, stderr
    assert "nothing was sent" in stderr
    assert not (work / "new").exists()
    # the default folder (pinglass-out/<preset>-<time>) is not made either
    code, stderr = _pinglass(work, *_generate(work, "--dry-run"))
    assert code == 0, stderr
    assert not (work / "pinglass-out").exists()


def test_a_paid_run_without_confirmation_leaves_no_folder(work: Path) -> None:
    _priced(work)
    code, stderr = _pinglass(work, *_generate(work, "--out", "run"))  # stdin is not a terminal
    assert code == 3, stderr
    assert "needs confirmation" in stderr
    assert not (work / "run").exists()


def test_a_declined_run_leaves_no_folder(work: Path) -> None:
    _priced(work)
    controller, terminal = pty.openpty()  # the prompt asks only a terminal
    try:
        os.write(controller, b"n\n")
        code, stderr = _pinglass(work, *_generate(work, "--out", "run"), stdin=terminal)
    finally:
        os.close(terminal)
        os.close(controller)
    assert code == 3, stderr
    assert "declined; nothing was sent" in stderr
    assert not (work / "run").exists()


def test_an_unknown_only_id_leaves_no_folder(work: Path) -> None:
    code, stderr = _pinglass(work, *_generate(work, "--only", "nope", "--yes", "--out", "run"))
    assert code == 2, stderr
    assert "--only: unknown prompt id 'nope'" in stderr
    assert not (work / "run").exists()


def test_a_missing_refs_folder_leaves_no_folder(work: Path) -> None:
    code, stderr = _pinglass(work, *_generate(work, "--yes", "--out", "run", refs="no-such-refs"))
    assert code == 2, stderr
    assert "no-such-refs" in stderr
    assert not (work / "run").exists()


def test_dry_run_fresh_renames_nothing_and_a_real_fresh_run_moves_everything(work: Path) -> None:
    code, stderr = _pinglass(work, *_generate(work, "--yes", "--out", "run"))
    assert code == 0, stderr
    out = work / "run"
    earlier = _names(out)
    made = {"images", "journal.jsonl", "report.json", "contact-sheet.jpg", "index.html", "thumbs"}
    assert made <= set(earlier)

    code, stderr = _pinglass(work, *_generate(work, "--dry-run", "--fresh", "--out", "run"))
    assert code == 0, stderr
    assert _names(out) == earlier  # nothing renamed, nothing rewritten

    code, stderr = _pinglass(work, *_generate(work, "--yes", "--fresh", "--out", "run"))
    assert code == 0, stderr
    aside = {name.split(".before-")[0] for name in os.listdir(out) if ".before-" in name}
    assert aside == {"images", "journal", "report", "contact-sheet", "index", "thumbs"}
    report = json.loads((out / "report.json").read_text())
    assert [i["status"] for i in report["images"]] == ["succeeded"] * 3  # made again, not reused


def test_a_fresh_run_refused_for_cost_leaves_the_earlier_run_as_it_was(work: Path) -> None:
    code, stderr = _pinglass(work, *_generate(work, "--yes", "--out", "run"))
    assert code == 0, stderr
    out = work / "run"
    earlier = _names(out)
    _priced(work)
    args = _generate(work, "--yes", "--fresh", "--max-cost", "0.01", "--out", "run")
    code, stderr = _pinglass(work, *args)
    assert code == 3, stderr
    assert "exceeds --max-cost" in stderr
    assert _names(out) == earlier
