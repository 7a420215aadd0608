"""A real mock run leaves index.html and thumbs/, also when it is interrupted."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gallery_support import SAMPLE_REFS, SCRIPT, SCRIPT_PROMPT, Page, clean_env


@pytest.mark.slow
def test_a_mock_run_writes_the_gallery_with_thumbs_and_reference_copies(mock_run_dir: Path) -> None:
    html = (mock_run_dir / "index.html").read_text(encoding="utf-8")
    page = Page(html)
    assert len(page.tiles()) == 23
    assert len(list((mock_run_dir / "thumbs").glob("*.jpg"))) == 23
    report = json.loads((mock_run_dir / "report.json").read_text())
    used = {r["file"] for r in report["references"] if r["used"]}
    assert len(list((mock_run_dir / "thumbs/refs").glob("*.jpg"))) == len(used)
    detail = page.data()[f"img-{SCRIPT_PROMPT}"]
    assert SCRIPT in detail["prompt"] and SCRIPT not in html
    assert detail["references"][0]["src"].startswith("thumbs/refs/")
    assert str(SAMPLE_REFS) not in html and str(mock_run_dir.parent) not in html
    assert report["preset"]["path"] not in html
    summary = "likeness: mean " if report["identity"]["available"] else "likeness: skipped ("
    assert summary in " ".join(page.text)


@pytest.mark.slow
def test_an_interrupted_run_still_writes_the_gallery(tmp_path: Path) -> None:
    env = clean_env(PINGLASS_MOCK_LATENCY="0.4")
    args = [sys.executable, "-m", "pinglass", "generate", str(SAMPLE_REFS), "--provider", "mock"]
    args += ["--yes", "--concurrency", "1", "--out", "run"]
    proc = subprocess.Popen(  # noqa: S603 - our own CLI under this interpreter
        args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    report = tmp_path / "run/report.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            doc = json.loads(report.read_text())
        except (OSError, ValueError):
            doc = {"images": []}
        if sum(i["status"] == "succeeded" for i in doc["images"]) >= 2:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr[-2000:]
    doc = json.loads(report.read_text())
    assert doc["status"] == "aborted"
    page = Page((tmp_path / "run/index.html").read_text(encoding="utf-8"))
    statuses = [t["data-status"] for t in page.tiles()]
    assert len(statuses) == 23 and "succeeded" in statuses and "not_run" in statuses
