"""Identity through a whole session on the offline mock provider: likeness, summary, re-rolls.

The mock provider draws its portraits from the chosen reference's face crop, so on sample_refs
(one person) every output should be recognised as her: likeness scores near 1.
"""

from __future__ import annotations

import json
import shutil
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from pinglass.errors import UsageError
from pinglass.identity import available, unavailable_reason
from pinglass.runner.journal import JOURNAL_NAME, read_journal
from pinglass.session import GenerateRequest, prepare, run
from pinglass.settings import Settings

SAMPLE_REFS = Path(__file__).resolve().parents[2] / "sample_refs"
CLEAN = ("IMG_0412.jpg", "IMG_0415.jpg", "IMG_0423.jpg", "IMG_0427.jpg", "IMG_0450.jpg")
ONLY = ("studio-grey", "office-window", "boardroom")
PRICE = Decimal("0.01")

needs_identity = pytest.mark.skipif(
    not available(), reason=unavailable_reason() or "identity extra missing"
)


@pytest.fixture(scope="module")
def refs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("refs")
    for name in CLEAN:
        shutil.copy(SAMPLE_REFS / name, folder / name)
    return folder


def _settings() -> Settings:
    return Settings(_env_file=None, mock_latency=0, prices={"mock/mock-portrait": PRICE})  # type: ignore[call-arg]


def _run(refs: Path, out: Path, **flags: object) -> dict:  # type: ignore[type-arg]
    request = GenerateRequest(
        refs_dir=refs,
        providers=("mock",),
        out=out,
        only=ONLY,
        seed=1,
        **flags,  # type: ignore[arg-type]
    )
    session = prepare(request, _settings(), environ={})
    run(session)
    doc: dict = json.loads((out / "report.json").read_text())  # type: ignore[type-arg]
    return doc


@needs_identity
def test_every_image_gets_a_likeness_and_the_run_a_summary(refs: Path, tmp_path: Path) -> None:
    doc = _run(refs, tmp_path / "out")
    images = doc["images"]
    assert [i["status"] for i in images] == ["succeeded"] * 3
    for image in images:
        assert image["likeness"]["distance"] < 0.4  # her own face crop, restyled
        assert 0.9 < image["likeness"]["score"] <= 1
        assert image["rerolls"] == []
    ident = doc["identity"]
    assert ident["available"] is True and ident["reason"] is None
    assert ident["threshold"] == 0.6 and ident["scored"] == 3 and ident["unscored"] == []
    scores = [i["likeness"]["score"] for i in images]
    assert ident["min_likeness"] == pytest.approx(min(scores), abs=1e-4)
    assert ident["mean_likeness"] == pytest.approx(sum(scores) / 3, abs=1e-4)
    assert ident["weakest"][0]["score"] == ident["min_likeness"]
    assert {w["prompt_id"] for w in ident["weakest"]} == set(ONLY)
    assert ident["references_embedded"] == len(CLEAN)
    # the references were checked as one person, with landmarks
    used = [r for r in doc["references"] if r["used"]]
    assert used and all(r["metrics"]["identity_distance"] < 0.6 for r in used)
    assert all("inter_eye_px" in r["metrics"] for r in used)


def test_without_the_extra_the_report_says_skipped(
    refs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "dlib", None)  # what an install without dlib looks like
    doc = _run(refs, tmp_path / "out")
    assert [i["status"] for i in doc["images"]] == ["succeeded"] * 3
    assert all(i["likeness"] is None for i in doc["images"])
    assert doc["identity"]["available"] is False
    assert doc["identity"]["reason"].startswith("identity checks skipped: dlib cannot be imported")
    assert "pinglass[identity]" in doc["identity"]["reason"]
    assert all("identity_distance" not in r["metrics"] for r in doc["references"])


def test_min_likeness_without_the_extra_is_a_usage_error(
    refs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "dlib", None)
    with pytest.raises(UsageError, match=r"pinglass\[identity\]"):
        _run(refs, tmp_path / "out", min_likeness=0.5, reroll=1)
    assert not (tmp_path / "out" / JOURNAL_NAME).exists()  # nothing was sent


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"min_likeness": 1.5}, "between 0 and 1"),
        ({"min_likeness": -0.1}, "between 0 and 1"),
        ({"min_likeness": 0.5, "reroll": -1}, "0 or more"),
        ({"reroll": 2}, "needs --min-likeness"),
    ],
)
def test_bad_reroll_flags_are_refused(flags: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        GenerateRequest(refs_dir=Path("r"), **flags)  # type: ignore[arg-type]


@needs_identity
def test_rerolls_are_new_jobs_bounded_by_n(refs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    # every score is below 1.0, so every image is "weak": only N bounds the re-rolls
    doc = _run(refs, out, min_likeness=1.0, reroll=2)
    t = doc["totals"]
    assert t["rerolls"] == 2 and t["succeeded"] + t["reused"] == 3
    assert t["reroll_cost_usd"] == pytest.approx(0.02)
    assert t["cost_usd"] == pytest.approx(0.05)  # 3 images + 2 re-rolls, all counted
    attempts = [a for i in doc["images"] for a in i["rerolls"]]
    assert len(attempts) == 2
    files = {i["file"] for i in doc["images"]} | {a["file"] for a in attempts}
    assert len(files) == 5 and all((out / f).is_file() for f in files)
    assert sum("~r1" in f for f in files) == 2
    for image in doc["images"]:
        for other in image["rerolls"]:  # the row keeps the better-likeness attempt
            assert image["likeness"]["score"] >= other["likeness"]["score"]
            assert image["seed"] != other["seed"]
    creates = [r for r in read_journal(out / JOURNAL_NAME) if r.get("ev") == "result"]
    assert len({r["job"] for r in creates}) == 5  # a re-roll is its own journal job
    assert doc["identity"]["below_min"]  # still below a bar of 1.0


@needs_identity
def test_rerolls_stay_within_the_budget(refs: Path, tmp_path: Path) -> None:
    # $0.04 pays the 3 images and one re-roll, whatever --reroll allows
    doc = _run(refs, tmp_path / "out", min_likeness=1.0, reroll=5, max_cost=Decimal("0.04"))
    assert doc["totals"]["rerolls"] == 1
    assert doc["totals"]["cost_usd"] <= 0.04 + 1e-9


@needs_identity
def test_no_reroll_when_every_image_clears_the_bar(refs: Path, tmp_path: Path) -> None:
    doc = _run(refs, tmp_path / "out", min_likeness=0.5, reroll=3)
    assert doc["totals"]["rerolls"] == 0
    assert doc["identity"]["below_min"] == []
    assert doc["identity"]["min_likeness_required"] == 0.5
