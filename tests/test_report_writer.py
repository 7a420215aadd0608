"""ReportWriter: report.json written at most once per interval, complete at the end, the same
text as a whole-document write, and each unchanged row rendered once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest

from canary import CANARY
from pinglass.report import REPORT_NAME, read_report
from pinglass.report.models import (
    Budget,
    ImageEntry,
    ImageErrorEntry,
    PresetInfo,
    Report,
    Totals,
)
from pinglass.report.write import ReportWriter, WriteTrouble
from pinglass.secrets import ApiKey, redact


def _row(i: int, status: str = "succeeded", message: str | None = None) -> ImageEntry:
    return ImageEntry(
        index=i,
        prompt_id=f"p{i:04d}",
        prompt=f"portrait {i}, window light",
        status=status,  # type: ignore[arg-type]
        file=f"images/{i:02d}-p{i:04d}.jpg" if status == "succeeded" else None,
        provider="mock",
        error=None if message is None else ImageErrorEntry(kind="auth", message=message),
    )


def _report(rows: list[ImageEntry], status: str = "running") -> Report:
    return Report(
        run_id="run-1",
        started_at=dt.datetime(2026, 11, 29, 19, 0, tzinfo=dt.UTC),
        status=status,  # type: ignore[arg-type]
        preset=PresetInfo(name="scale", path="scale.toml", sha256="ab" * 32),
        provider_chain=["mock/mock-portrait"],
        budget=Budget(estimated_cost_usd=0.0),
        images=rows,
        totals=Totals(succeeded=sum(r.status == "succeeded" for r in rows)),
    )


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("n", [0, 1, 5])
def test_render_is_the_whole_document_redacted(tmp_path: Path, n: int) -> None:
    ApiKey.of(CANARY, "OPENAI_API_KEY")
    rows = [_row(i) for i in range(1, n + 1)]
    if rows:
        rows[-1] = _row(n, "failed", f"provider echoed Authorization: Bearer {CANARY}")
    report = _report(rows)
    writer = ReportWriter(tmp_path, lambda: report)
    expected = redact(report.model_dump_json(indent=2)) + "\n"
    assert writer.render(report) == expected
    writer.write(report)
    text = (tmp_path / REPORT_NAME).read_text(encoding="utf-8")
    assert CANARY not in text and json.loads(text)["run_id"] == "run-1"
    assert [r.index for r in read_report(tmp_path).images] == [r.index for r in rows]


def test_an_unchanged_row_is_rendered_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [_row(i) for i in range(1, 4)]
    writer = ReportWriter(tmp_path, lambda: _report(rows))
    rendered: list[int] = []
    real = ImageEntry.model_dump_json

    def counting(self: ImageEntry, **kw: object) -> str:
        rendered.append(self.index)
        return real(self, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(ImageEntry, "model_dump_json", counting)
    writer.render(_report(rows))
    rows[1] = _row(2, "failed", "quota exhausted")
    text = writer.render(_report(rows))
    assert rendered == [1, 2, 3, 2]  # the second write renders only the changed row
    assert text == redact(_report(rows).model_dump_json(indent=2)) + "\n"


@pytest.mark.anyio
async def test_writes_are_throttled_and_the_last_state_is_written(tmp_path: Path) -> None:
    clock = Clock()
    rows: list[ImageEntry] = []
    builds: list[int] = []

    def build() -> Report:
        builds.append(len(rows))
        return _report(list(rows))

    writer = ReportWriter(tmp_path, build, interval=1.0, clock=clock)
    writer.changed()  # the first change writes at once (the run's first report)
    assert writer.writes == 1
    for i in range(1, 201):  # 200 images land within the same second
        rows.append(_row(i))
        writer.changed()
    assert writer.writes == 1 and builds == [0]  # nothing built or written meanwhile
    writer.flush()  # the end of the run (or Ctrl-C)
    assert writer.writes == 2 and builds == [0, 200]
    assert len(read_report(tmp_path).images) == 200
    writer.flush()  # nothing changed since: no write
    assert writer.writes == 2


@pytest.mark.anyio
async def test_a_change_inside_the_interval_is_written_when_it_ends(tmp_path: Path) -> None:
    rows = [_row(1)]
    clock = Clock()  # stands still: the second change is always inside the interval
    writer = ReportWriter(tmp_path, lambda: _report(list(rows)), interval=0.02, clock=clock)
    writer.changed()
    rows.append(_row(2))
    writer.changed()
    assert writer.writes == 1
    # The loop runs timers in due order: the writer's (0.02 s) before this sleep's end.
    await asyncio.sleep(0.2)
    assert writer.writes == 2
    assert [r.index for r in read_report(tmp_path).images] == [1, 2]
    writer.close()


def test_without_an_event_loop_a_change_is_written_at_once(tmp_path: Path) -> None:
    clock = Clock()
    writer = ReportWriter(tmp_path, lambda: _report([_row(1)]), clock=clock)
    writer.changed()
    writer.changed()
    assert writer.writes == 2


def test_rows_are_built_once_per_change() -> None:
    from pinglass.identity.likeness import Likeness
    from pinglass.report.build import RunState, image_rows
    from pinglass.report.rows import RowCache
    from pinglass.runner.plan import Job
    from pinglass.runner.results import ImageResult

    jobs = [Job(index=i, prompt_id=f"p{i}", prompt=f"portrait {i}") for i in range(1, 4)]
    state = RunState()
    cache = RowCache()
    first = image_rows(jobs, state, cache)
    assert cache.built == 3 and [r.status for r in first] == ["not_run"] * 3
    assert image_rows(jobs, state, cache) == first and cache.built == 3
    made = ImageResult(index=2, prompt_id="p2", prompt="portrait 2", status="succeeded", file="f2")
    state.results[2] = made
    second = image_rows(jobs, state, cache)
    assert cache.built == 4  # only job 2's row again
    assert second[0] is first[0] and second[2] is first[2] and second[1].status == "succeeded"
    state.likeness["f2"] = Likeness(score=0.8, distance=0.3)  # a score arrives: that row again
    third = image_rows(jobs, state, cache)
    assert cache.built == 5 and third[1].likeness is not None and third[0] is first[0]


def test_a_rewrite_the_disk_refuses_goes_to_on_error_and_is_tried_again(tmp_path: Path) -> None:
    """Issue 12 row 7: a rewrite while a run goes never ends the run by itself."""
    blocked = tmp_path / "out"
    blocked.write_text("a file where the folder should be")  # every write here fails
    failures: list[OSError] = []
    writer = ReportWriter(blocked, lambda: _report([_row(1)]), on_error=failures.append)
    writer.changed()
    writer.flush()  # still dirty: tried again
    assert len(failures) == 2 and writer.writes == 2
    with pytest.raises(OSError):  # the final write is the caller's to handle
        writer.write(_report([_row(1)]))
    stopped: list[bool] = []
    trouble = WriteTrouble(blocked, lambda: stopped.append(True))
    trouble.report_failed(failures[0])
    trouble.add("could not write images/01-a.png: No space left on device")
    assert stopped == [True]
    message = str(trouble.error())
    assert message.startswith(f"--out {blocked}: could not write report.json: ")
    assert "run the same command again" in message
