"""Tables at 60, 80 and 200 columns: no value a user needs is cut with an ellipsis.

Long names wrap (or fold), secondary columns move below the table, and where a table cannot
fit each row becomes two lines. The only ``…`` allowed is inside a masked key (``r8_…2222``).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import httpx
import pytest
import respx
from typer.testing import CliRunner

from pinglass.cli import app

SAMPLE_REFS = Path(__file__).resolve().parents[2] / "sample_refs"
PHONE = ("PXL_20240315_142213456.jpg", "PXL_20240315_142213457.jpg", "PXL_20240316_090101123.jpg")
WIDTHS = [60, 80, 200]
BAD = "r8_BADBADBADBADBADB2222"


def _invoke(monkeypatch: pytest.MonkeyPatch, width: int, args: list[str]) -> tuple[int, str]:
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("PINGLASS_MOCK_LATENCY", "0")
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout + result.stderr


def _nothing_cut(text: str, width: int) -> None:
    unmasked = re.sub(r"\w{0,6}[-_]?…\w{4}", "", text)
    assert "…" not in unmasked, text
    # Lines wider than the terminal are one-line messages the terminal wraps (soft wrap);
    # a table line never is.
    table_lines = [line for line in text.splitlines() if "──" in line]
    assert all(len(line) <= width for line in table_lines), text


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def phone_refs(tmp_path: Path) -> Path:
    folder = tmp_path / "phone"
    folder.mkdir()
    for source, name in zip(("IMG_0412.jpg", "IMG_0427.jpg", "IMG_0447.jpg"), PHONE, strict=True):
        shutil.copy(SAMPLE_REFS / source, folder / name)
    return folder


@pytest.mark.parametrize("width", WIDTHS)
def test_refs_with_phone_style_names(
    monkeypatch: pytest.MonkeyPatch, phone_refs: Path, width: int
) -> None:
    code, text = _invoke(monkeypatch, width, ["refs", str(phone_refs)])
    assert code == 0
    _nothing_cut(text, width)
    for name in PHONE:
        assert f"- {name}" in text  # the reasons list names every file whole
    assert "no_face" in text and "usable" in text
    if width >= 80:  # the table row holds the whole name, score and verdict on one line
        row = next(line for line in text.splitlines() if line.lstrip().startswith("1 "))
        assert PHONE[0] in row or PHONE[1] in row
        assert re.search(r"\d+\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+usable", row), row


@pytest.mark.parametrize("width", WIDTHS)
def test_dry_run_plan_keeps_worst_case_and_budget(
    monkeypatch: pytest.MonkeyPatch, phone_refs: Path, tmp_path: Path, width: int
) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_" + "a" * 30)
    args = ["generate", str(phone_refs), "--provider", "replicate/instant-id-photorealistic,mock"]
    args += ["--dry-run", "--max-cost", "5", "--out", str(tmp_path / "o")]
    code, text = _invoke(monkeypatch, width, args)
    assert code == 0, text
    _nothing_cut(text, width)
    flat = _flat(text)
    assert "replicate/instant-id-photorealistic" in flat
    # a per-second model's worst case is its deadline (4x the typical time) on every image
    assert "worst case $1.7940" in flat and "budget $5.0000" in flat and "estimate $0.4485" in flat


@pytest.mark.parametrize("width", WIDTHS)
def test_test_keys_shows_the_whole_error(
    monkeypatch: pytest.MonkeyPatch, no_network: respx.MockRouter, width: int
) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN_2", BAD)
    no_network.get("https://api.replicate.com/v1/account").mock(
        return_value=httpx.Response(401, json={"detail": "Invalid token: this key was revoked."})
    )
    code, text = _invoke(monkeypatch, width, ["test-keys"])
    assert code == 1
    _nothing_cut(text, width)
    flat = _flat(text)
    assert "Invalid token: this key was revoked." in flat
    assert "REPLICATE_API_TOKEN_2" in flat  # the variable, in the table or the line below


@pytest.mark.parametrize("width", WIDTHS)
def test_providers_keep_every_column_and_the_key_variables(
    monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    code, text = _invoke(monkeypatch, width, ["providers"])
    assert code == 0
    _nothing_cut(text, width)
    flat = _flat(text)
    assert "replicate/instant-id-photorealistic" in flat and "$0.000975/s" in flat
    assert "replicate REPLICATE_API_TOKEN" in flat and "Prices checked 20" in flat


@pytest.mark.parametrize("width", WIDTHS)
def test_estimate_keeps_names_and_money(monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    code, text = _invoke(monkeypatch, width, ["estimate"])
    assert code == 0
    _nothing_cut(text, width)
    flat = _flat(text)
    assert "replicate/instant-id-photorealistic" in flat and "$0.4485" in flat


def test_report_keeps_file_names_at_every_width(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    only = "studio-grey,studio-warm-beige"
    args = ["generate", str(SAMPLE_REFS), "--provider", "mock", "--only", only, "--yes"]
    code, text = _invoke(monkeypatch, 200, [*args, "--out", str(out)])
    assert code == 0, text
    doc = json.loads((out / "report.json").read_text())
    doc["images"][1].update(
        status="failed",
        file=None,
        likeness=None,
        error={"kind": "transient", "message": "cannot connect to api.replicate.com: refused"},
    )
    (out / "report.json").write_text(json.dumps(doc))
    for width in WIDTHS:
        code, text = _invoke(monkeypatch, width, ["report", str(out)])
        assert code == 0, text
        _nothing_cut(text, width)
        flat = _flat(text)
        assert "cannot connect to api.replicate.com: refused" in flat
        if width >= 80 and doc["images"][0].get("likeness"):
            assert "images/01-studio-grey.jpg" in text
