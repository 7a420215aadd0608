"""Issue 12's history rows, end to end: real CLI processes against the loopback Replicate stand-in.

``server.creates`` counts what Replicate would bill, so "paid", "paid twice" and "lost" are
measured, not inferred. Rows: 3 (journal lost, selfie removed), 7 (disk full), 8 (a re-run
refused for cost), 12 (``folder_cost_usd`` from the journal's ledger).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hardening_support import (
    FLUX_DEV_PRICE,
    GOOD_REFS,
    Result,
    preset_toml,
    standin_env,
    standin_generate,
    wait_for,
    write_tiny_preset,
)
from hardening_support import run_cli as _run_cli

from standin import StandIn

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("loopback")]


def run_cli(cwd: Path, *args: str, env: dict[str, str], timeout: float = 300) -> Result:
    """The CLI as a subprocess, with room for a loaded machine (each run takes seconds)."""
    return _run_cli(cwd, *args, env=env, timeout=timeout)


def _images(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (out / "images").iterdir() if p.suffix == ".png"}


def _first_run(tmp_path: Path, server: StandIn) -> tuple[list[str], Path, dict[str, bytes]]:
    out = tmp_path / "run"
    args = standin_generate(tmp_path, write_tiny_preset(tmp_path), out)
    first = run_cli(tmp_path, *args, env=standin_env(server.base_url))
    assert first.code == 0, first.output
    return args, out, _images(out)


# -- row 12: folder_cost_usd is the journal's ledger -----------------------------------------


def test_folder_cost_comes_from_the_journal_not_a_damaged_report(tmp_path: Path) -> None:
    """Row 12: a damaged report.json no longer resets what the folder has paid."""
    with StandIn(latency=0.05) as server:
        args, out, _ = _first_run(tmp_path, server)
        (out / "report.json").write_text("{ torn by a crash")
        again = run_cli(tmp_path, *args, env=standin_env(server.base_url))
    assert again.code == 0, again.output
    totals = json.loads(again.stdout)["totals"]
    assert totals["reused"] == 3 and totals["cost_usd"] == 0
    assert totals["folder_cost_usd"] == pytest.approx(3 * FLUX_DEV_PRICE)
    assert sum(server.creates.values()) == 3


def test_a_report_left_one_image_behind_by_a_kill_does_not_undercount(tmp_path: Path) -> None:
    """Row 12: SIGKILL after the journal's result line, before report.json's next rewrite."""
    with StandIn(latency=0.05) as server:
        args, out, _ = _first_run(tmp_path, server)
        report = json.loads((out / "report.json").read_text())
        last = report["images"][-1]  # as the rewrite before the last image left it
        last.update(status="not_run", file=None, cost_usd=0.0, remote_id=None)
        report["totals"]["folder_cost_usd"] = 2 * FLUX_DEV_PRICE
        (out / "report.json").write_text(json.dumps(report))
        again = run_cli(tmp_path, *args, env=standin_env(server.base_url))
    assert again.code == 0, again.output
    totals = json.loads(again.stdout)["totals"]
    assert totals["reused"] == 3 and totals["folder_cost_usd"] == pytest.approx(3 * FLUX_DEV_PRICE)
    assert sum(server.creates.values()) == 3


# -- row 8: a refused re-run keeps the earlier images ----------------------------------------


def test_a_rerun_refused_for_cost_keeps_the_paid_images_in_the_report(tmp_path: Path) -> None:
    """Row 8: the refusal is about this run; what earlier runs made stays in report.json."""
    out = tmp_path / "run"
    small = write_tiny_preset(tmp_path)
    with StandIn(latency=0.05) as server:
        first = run_cli(
            tmp_path, *standin_generate(tmp_path, small, out), env=standin_env(server.base_url)
        )
        assert first.code == 0, first.output
        texts = ["studio portrait, grey backdrop", "portrait by a window", "portrait in a park"]
        more = [*zip(("grey-studio", "window-light", "park-bench"), texts, strict=True)]
        more += [(f"extra-{i}", f"portrait number {i}") for i in range(1, 6)]
        bigger = tmp_path / "bigger.toml"
        bigger.write_text(preset_toml(more))
        args = standin_generate(tmp_path, bigger, out, "--max-cost", "0.05")
        refused = run_cli(tmp_path, *args, env=standin_env(server.base_url))
    assert refused.code == 3, refused.output
    report = json.loads((out / "report.json").read_text())
    assert report["status"] == "refused"
    statuses = {i["prompt_id"]: i["status"] for i in report["images"]}
    assert [statuses[p] for p in ("grey-studio", "window-light", "park-bench")] == ["reused"] * 3
    kept = [i["file"] for i in report["images"] if i["status"] == "reused"]
    assert all((out / f).is_file() for f in kept)
    assert report["totals"]["folder_cost_usd"] == pytest.approx(3 * FLUX_DEV_PRICE)
    assert sum(server.creates.values()) == 3


# -- row 3: the history outlives a lost journal ----------------------------------------------


def test_an_emptied_journal_reuses_every_paid_image(tmp_path: Path) -> None:
    """Row 3: the images are reused by their recorded remote id and hash, not paid again."""
    with StandIn(latency=0.05) as server:
        args, out, paid = _first_run(tmp_path, server)
        remote = {i["prompt_id"]: i["remote_id"] for i in _report(out)["images"]}
        (out / "journal.jsonl").write_text("")
        again = run_cli(tmp_path, *args, env=standin_env(server.base_url))
    assert again.code == 0, again.output
    report = json.loads(again.stdout)
    assert [i["status"] for i in report["images"]] == ["reused"] * 3
    assert {i["prompt_id"]: i["remote_id"] for i in report["images"]} == remote
    assert sum(server.creates.values()) == 3  # nothing paid twice
    assert _images(out) == paid  # nothing overwritten or set aside
    assert report["totals"]["folder_cost_usd"] == pytest.approx(3 * FLUX_DEV_PRICE)


def test_a_removed_selfie_still_reuses_every_paid_image(tmp_path: Path) -> None:
    """Row 3: one chosen selfie removed changes every job's key, not its prompt."""
    with StandIn(latency=0.05) as server:
        args, out, paid = _first_run(tmp_path, server)
        (tmp_path / "refs" / GOOD_REFS[0]).unlink()
        again = run_cli(tmp_path, *args, env=standin_env(server.base_url))
    assert again.code == 0, again.output
    assert [i["status"] for i in json.loads(again.stdout)["images"]] == ["reused"] * 3
    assert sum(server.creates.values()) == 3
    assert _images(out) == paid


def test_with_journal_and_index_lost_paid_files_are_set_aside_never_overwritten(
    tmp_path: Path,
) -> None:
    """Row 3: nothing vouches for the files any more, so they are paid again, but kept."""
    with StandIn(latency=0.05) as server:
        args, out, paid = _first_run(tmp_path, server)
        (out / "journal.jsonl").unlink()
        (out / "images" / ".index.jsonl").unlink(missing_ok=True)  # none before issue 12
        (out / "report.json").unlink()
        for name in paid:  # each file differs from what the next run makes
            (out / "images" / name).write_bytes(paid[name] + b"paid")
        again = run_cli(tmp_path, *args, env=standin_env(server.base_url))
    assert again.code == 0, again.output
    for name, data in paid.items():
        stem, ext = name.rsplit(".", 1)
        assert (out / "images" / f"{stem}.before-1.{ext}").read_bytes() == data + b"paid"
        assert (out / "images" / name).read_bytes() == data


def _report(out: Path) -> dict[str, object]:
    doc: dict[str, object] = json.loads((out / "report.json").read_text())
    return doc


# -- row 7: a full disk -----------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs (it needs root; skipped where mounting is not allowed)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a tmpfs mount needs root")
    cmd = ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)  # noqa: S603, S607


def _fill(disk: Path) -> Path:
    """Write a file on ``disk`` until the disk is full; return it."""
    filler = disk / "filler"
    with filler.open("wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def test_a_full_disk_ends_the_run_in_one_line_and_loses_no_money(
    tmp_path: Path, small_disk: Path
) -> None:
    """Row 7: the disk fills while three paid predictions run."""
    out = small_disk / "run"
    args = standin_generate(tmp_path, write_tiny_preset(tmp_path), out, "--concurrency", "3")
    with StandIn(latency=3, hold=False, max_life=240) as server:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "pinglass", *args],
            cwd=tmp_path,
            env=standin_env(server.base_url),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for(lambda: sum(server.creates.values()) >= 3, "the run never got that far")
        filler = _fill(small_disk)
        stdout, stderr = proc.communicate(timeout=240)
        assert proc.returncode not in (0, 1), stderr[-3000:]
        assert "Traceback" not in stderr and "internal error" not in stderr, stderr[-3000:]
        [line] = [ln for ln in stderr.splitlines() if ln.startswith("error:")]
        assert "No space left on device" in line and str(out) in line, line
        assert json.loads(stdout)["error"]["exit_code"] == proc.returncode
        filler.unlink()
        again = run_cli(tmp_path, *args, env=standin_env(server.base_url))
    assert again.code == 0, again.output
    report = json.loads(again.stdout)
    assert {i["status"] for i in report["images"]} <= {"succeeded", "reused"}
    assert sum(server.creates.values()) == 3  # the paid predictions were collected, not re-paid
    assert report["totals"]["folder_cost_usd"] == pytest.approx(3 * FLUX_DEV_PRICE)
    # The first run paid for all three; collecting them spends nothing now. Each row still
    # shows what its image cost, all of it paid earlier.
    assert report["totals"]["cost_usd"] == 0
    for row in report["images"]:
        assert row["cost_usd"] == pytest.approx(FLUX_DEV_PRICE), row
        assert row["earlier_cost_usd"] == pytest.approx(FLUX_DEV_PRICE), row
