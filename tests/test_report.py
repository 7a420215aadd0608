"""report.json round trip, readable failures, the redaction filter and the contact sheet."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from PIL import Image

from canary import CANARY
from fifo_guard import call_with_timeout, make_fifo
from pinglass.errors import UsageError
from pinglass.report import (
    REPORT_NAME,
    SCHEMA_VERSION,
    SHEET_NAME,
    build_contact_sheets,
    read_report,
    write_report,
)
from pinglass.report.models import (
    Budget,
    ImageEntry,
    ImageErrorEntry,
    PresetInfo,
    Report,
    Totals,
)
from pinglass.secrets import ApiKey

# Layout constants of the contact sheet (contact_sheet.py): thumb 240x300, label 58, gap 14,
# header 64.
_CELL_W, _CELL_H, _GAP = 240 + 14, 300 + 62 + 14, 14
_HEADER = 10 + 22 + 8 + 19 + 12  # title, one summary line, rule
_MIN_W = _GAP + 3 * _CELL_W  # one or two tiles still leave the header room


def _w(columns: int) -> int:
    return max(_MIN_W, _GAP + columns * _CELL_W)


def _jpeg(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (90, 120)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, format="JPEG")


def _report(images: list[ImageEntry] | None = None, **kw: object) -> Report:
    base: dict[str, object] = {
        "run_id": "run-1",
        "started_at": dt.datetime(2026, 11, 23, 10, 15, tzinfo=dt.UTC),
        "finished_at": dt.datetime(2026, 11, 23, 10, 17, tzinfo=dt.UTC),
        "status": "partial",
        "preset": PresetInfo(name="business", path="presets/business.toml", sha256="ab" * 32),
        "provider_chain": ["mock/mock-portrait"],
        "budget": Budget(max_cost_usd=1.0, estimated_cost_usd=0.12),
        "images": images or [],
        "totals": Totals(succeeded=1, failed=1, not_run=1, cost_usd=0.04),
    }
    base.update(kw)
    return Report(**base)  # type: ignore[arg-type]


def _entries() -> list[ImageEntry]:
    return [
        ImageEntry(
            index=1,
            prompt_id="window-light",
            prompt="a portrait by a window",
            status="succeeded",
            file="images/01-window-light.jpg",
            provider="mock",
            model="mock-portrait",
            key="sk-…NARY",
            cost_usd=0.04,
            attempts=1,
        ),
        ImageEntry(
            index=2,
            prompt_id="neon",
            prompt="neon night",
            status="failed",
            provider="mock",
            attempts=3,
            error=ImageErrorEntry(kind="transient", message="mock: simulated outage (attempt 3)"),
        ),
        ImageEntry(index=3, prompt_id="beach", prompt="at the beach", status="not_run"),
    ]


def test_round_trip(tmp_path: Path) -> None:
    report = _report(_entries())
    path = write_report(report, tmp_path / "out")
    assert path == tmp_path / "out" / REPORT_NAME
    back = read_report(tmp_path / "out")
    assert back == report
    assert back.schema_version == SCHEMA_VERSION
    assert read_report(path) == report  # the file itself works too


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_report(_report(), out)
    write_report(_report(_entries()), out)  # replaces the earlier file
    assert [p.name for p in out.iterdir()] == [REPORT_NAME]
    assert len(read_report(out).images) == 3


def test_report_json_is_the_contract_shape(tmp_path: Path) -> None:
    doc = json.loads(write_report(_report(_entries()), tmp_path).read_text("utf-8"))
    for key in ("schema_version", "run_id", "started_at", "finished_at", "status", "preset"):
        assert key in doc
    assert set(doc["preset"]) == {"name", "path", "sha256"}
    assert doc["budget"]["max_cost_usd"] == 1.0
    image = doc["images"][1]
    assert image["error"] == {"kind": "transient", "message": "mock: simulated outage (attempt 3)"}
    assert image["cost_source"] == "catalog"
    for key in ("succeeded", "reused", "failed", "not_run", "cost_usd", "folder_cost_usd"):
        assert key in doc["totals"]


def test_redaction_filter_scrubs_key_in_error_message(tmp_path: Path) -> None:
    ApiKey.of(CANARY, "OPENAI_API_KEY")
    entries = _entries()
    entries[1] = entries[1].model_copy(
        update={
            "error": ImageErrorEntry(
                kind="auth", message=f"openai: HTTP 401: Incorrect API key provided: {CANARY}"
            )
        }
    )
    path = write_report(_report(entries), tmp_path)
    text = path.read_text("utf-8")
    assert CANARY not in text
    assert "sk-…NARY" in text
    assert read_report(tmp_path).images[1].error is not None


def test_read_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(UsageError) as info:
        read_report(missing)
    message = str(info.value)
    assert str(missing) in message
    assert "\n" not in message
    assert info.value.exit_code == 2


def test_read_folder_without_report(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no report here"):
        read_report(tmp_path)


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b"[]",
        b'{"run_id": 5}',
        b'{"schema_version": 1, "run_id": "x"}',
        b"\xff\xfe\x00binary",
    ],
)
def test_read_broken_or_wrong_shape(tmp_path: Path, content: bytes) -> None:
    (tmp_path / REPORT_NAME).write_bytes(content)
    with pytest.raises(UsageError) as info:
        read_report(tmp_path)
    message = str(info.value)
    assert message.startswith(f"{tmp_path / REPORT_NAME}: not a pinglass report")
    assert "\n" not in message


def test_read_unreadable_path(tmp_path: Path) -> None:
    (tmp_path / "out" / REPORT_NAME).mkdir(parents=True)  # a folder where the file should be
    with pytest.raises(UsageError, match="cannot read"):
        read_report(tmp_path / "out")


@pytest.mark.parametrize("given", ["folder", "file"])
def test_read_a_report_that_is_a_fifo_is_refused_never_waited_on(
    tmp_path: Path, given: str
) -> None:
    fifo = make_fifo(tmp_path / REPORT_NAME)  # `pinglass report OUT`, or OUT/report.json
    with pytest.raises(UsageError) as info:
        call_with_timeout(fifo, read_report, tmp_path if given == "folder" else fifo)
    assert str(info.value) == f"{fifo}: not a regular file"


def test_contact_sheet_grid_and_tiles(tmp_path: Path) -> None:
    _jpeg(tmp_path / "images" / "01-window-light.jpg", (230, 20, 20))
    report = _report(_entries())
    path = build_contact_sheets(report, tmp_path)[0]
    assert path == tmp_path / SHEET_NAME
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contact-sheet.jpg", "images"]
    with Image.open(path) as sheet:
        assert sheet.format == "JPEG"
        # Three entries, default six columns: one row of three.
        assert sheet.size == (_w(3), _HEADER + _GAP + _CELL_H)
        rgb = sheet.convert("RGB")
        # The succeeded tile shows the real picture (red), the not-run tile does not.
        r, g, b = rgb.getpixel((_GAP + 120, _HEADER + _GAP + 150))  # type: ignore[misc]
        assert r > 180 and g < 70 and b < 70
        r, g, b = rgb.getpixel((_GAP + 2 * _CELL_W + 120, _HEADER + _GAP + 60))  # type: ignore[misc]
        assert r < 90 and g < 90 and b < 90


@pytest.mark.parametrize(("n", "columns", "grid"), [(5, 2, (2, 3)), (1, 6, (1, 1)), (0, 6, (1, 1))])
def test_contact_sheet_grid_size(
    tmp_path: Path, n: int, columns: int, grid: tuple[int, int]
) -> None:
    entries = [
        ImageEntry(index=i, prompt_id=f"p{i}", prompt="x", status="not_run") for i in range(n)
    ]
    path = build_contact_sheets(_report(entries), tmp_path, columns=columns)[0]
    cols, rows = grid
    with Image.open(path) as sheet:
        assert sheet.size == (_w(cols), _HEADER + _GAP + rows * _CELL_H)


def test_contact_sheet_marks_missing_or_broken_files(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "broken.jpg").write_bytes(b"not a jpeg")
    entries = [
        ImageEntry(index=1, prompt_id="a", prompt="x", status="succeeded", file="images/gone.jpg"),
        ImageEntry(index=2, prompt_id="b", prompt="x", status="reused", file="images/broken.jpg"),
    ]
    path = build_contact_sheets(_report(entries), tmp_path)[0]
    with Image.open(path) as sheet:
        assert sheet.size == (_w(2), _HEADER + _GAP + _CELL_H)


def test_contact_sheet_over_atomic_write_replaces(tmp_path: Path) -> None:
    _jpeg(tmp_path / "images" / "01-window-light.jpg", (20, 20, 230))
    first = build_contact_sheets(_report(_entries()), tmp_path)[0].read_bytes()
    second = build_contact_sheets(_report(_entries()[:1]), tmp_path)[0].read_bytes()
    assert first != second
    with Image.open(io.BytesIO(second)) as img:
        assert img.size == (_w(1), _HEADER + _GAP + _CELL_H)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
