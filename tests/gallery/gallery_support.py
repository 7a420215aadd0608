"""Shared by the gallery tests: a synthetic run folder, a mock run, and an HTML reader."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from PIL import Image

from canary import CANARY
from pinglass.providers import PROVIDERS
from pinglass.report.models import (
    Budget,
    ImageEntry,
    ImageErrorEntry,
    Likeness,
    PresetInfo,
    Report,
    Totals,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_REFS = ROOT / "sample_refs"
SCRIPT = "<script>alert(1)</script>"
SCRIPT_PROMPT = 3
"""The stock business preset's third prompt gets the script in the browser test's preset."""


def jpeg(path: Path, size: tuple[int, int] = (896, 1152), colour: str = "steelblue") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, format="JPEG")
    return path


def synthetic_run(out: Path) -> Report:
    """A run folder with every kind of tile and hostile text in every free-text field."""
    jpeg(out / "images/01-window-light.jpg")
    jpeg(out / "images/02-neon.png", (1024, 768), "purple")
    jpeg(out / "images/02-neon~r1.jpg", (1024, 768), "navy")
    leak = f"{out.resolve()}/images/02-neon.png and /home/someone/private/refs/me.jpg"
    images = [
        ImageEntry(
            index=1,
            prompt_id="window-light",
            prompt=f"a portrait by a window {SCRIPT} & \"quotes\" 'single' </script>",
            status="succeeded",
            file="images/01-window-light.jpg",
            provider="mock",
            model="mock-portrait",
            key=f"sk-…{CANARY[-4:]}",
            reference="<b>me</b> & you.jpg",
            references=["<b>me</b> & you.jpg"],
            seed=1000,
            attempts=2,
            cost_usd=0.04,
            cost_source="provider",
            likeness=Likeness(score=0.42, distance=0.71),
        ),
        ImageEntry(
            index=2,
            prompt_id="neon",
            prompt="neon night",
            status="succeeded",
            file="images/02-neon.png",
            provider="mock",
            model="mock-portrait",
            seed=1001,
            attempts=1,
            likeness=Likeness(score=0.91, distance=0.2),
            rerolls=[
                ImageEntry(
                    index=2,
                    prompt_id="neon~r1",
                    prompt="neon night",
                    status="succeeded",
                    file="images/02-neon~r1.jpg",
                    seed=77,
                    attempts=1,
                    likeness=Likeness(score=0.8, distance=0.3),
                )
            ],
        ),
        ImageEntry(
            index=3,
            prompt_id="rooftop",
            prompt="on a roof",
            status="failed",
            provider="mock",
            attempts=4,
            error=ImageErrorEntry(
                kind="content_rejected", message=f"<img src=x onerror=alert(2)> {leak}"
            ),
        ),
        ImageEntry(index=4, prompt_id="park", prompt="in a park", status="not_run"),
        ImageEntry(
            index=5,
            prompt_id="escape",
            prompt="tampered",
            status="succeeded",
            file="../outside.jpg",
        ),
    ]
    jpeg(out.parent / "outside.jpg")
    return Report(
        run_id="run-<1>",
        started_at=dt.datetime(2026, 11, 23, 10, 15, tzinfo=dt.UTC),
        finished_at=dt.datetime(2026, 11, 23, 10, 17, tzinfo=dt.UTC),
        status="partial",
        preset=PresetInfo(
            name="<i>brand</i>", path=str(Path.home() / "my-presets/brand.toml"), sha256="ab" * 32
        ),
        provider_chain=["mock/mock-portrait"],
        budget=Budget(max_cost_usd=1.0, estimated_cost_usd=0.12),
        images=images,
        totals=Totals(succeeded=3, failed=1, not_run=1, cost_usd=0.04, folder_cost_usd=0.08),
        identity={"available": False, "reason": f"dlib missing under {Path.home()}/venv"},
    )


class Page(HTMLParser):
    """What a page holds: elements with their attributes, script bodies and the visible text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._in: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.elements.append((tag, values))
        if tag in ("script", "style"):
            self._in = tag
            if tag == "script":
                self.scripts.append((values, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            attrs, body = self.scripts[-1]
            self.scripts[-1] = (attrs, body + data)
        elif self._in == "style":
            self.styles.append(data)
        else:
            self.text.append(data)

    def by_id(self, ident: str) -> dict[str, str]:
        return next(attrs for _, attrs in self.elements if attrs.get("id") == ident)

    def tiles(self) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == "li" and "tile" in a.get("class", "")]

    def data(self) -> dict[str, Any]:
        body = next(b for a, b in self.scripts if a.get("type") == "application/json")
        parsed: dict[str, Any] = json.loads(body)
        return parsed


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without pinglass settings or any vendor key."""
    vendor = {v for e in PROVIDERS.values() for v in e.key_env_vars}
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PINGLASS_") and k.rstrip("0123456789").rstrip("_") not in vendor
    }
    env.update({"PINGLASS_MOCK_LATENCY": "0", **extra})
    return env


def script_preset(folder: Path) -> Path:
    """The stock business preset (23 prompts) with a script in prompt 3's text."""
    text = (ROOT / "presets/business.toml").read_text(encoding="utf-8")
    text = text.replace('name = "business"', 'name = "script-check"', 1)
    at = text.index('id = "studio-navy"')
    start = text.index('text = """\\\n', at) + len('text = """\\\n')
    text = text[:start] + f"Portrait {SCRIPT} & <b>bold</b> of the person, " + text[start:]
    path = folder / "script-check.toml"
    path.write_text(text, encoding="utf-8")
    return path


def pinglass(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own CLI under this interpreter
        [sys.executable, "-m", "pinglass", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def mock_run(folder: Path) -> Path:
    """``generate sample_refs --provider mock --yes`` with the script preset; the run folder."""
    folder.mkdir(parents=True, exist_ok=True)
    preset = script_preset(folder)
    args = ("generate", str(SAMPLE_REFS), "--preset", str(preset), "--provider", "mock")
    proc = pinglass(*args, "--yes", "--out", "run", cwd=folder, env=clean_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    return folder / "run"
