"""Restoring a random-seed preset's earlier draw (issue 12 row 1)."""

from __future__ import annotations

import json
from pathlib import Path

from pinglass.presets import Preset
from pinglass.presets.loading import validate_preset
from pinglass.run_folder import RunFolder
from pinglass.run_seeds import base_seed_from, earlier_base_seed
from pinglass.runner.journal import FinishedRecord, JobRef, Journal
from pinglass.runner.results import ImageResult

_PRESET = """[preset]
name = "r"

[defaults]
seed = "{policy}"

[[prompts]]
id = "a"
text = "one"

[[prompts]]
id = "b"
text = "two"
seed = 7

[[prompts]]
id = "c"
text = "three"
"""


def _preset(tmp_path: Path, policy: str = "random") -> Preset:
    path = tmp_path / "p.toml"
    path.write_text(_PRESET.format(policy=policy))
    return validate_preset(path)


def test_the_base_seed_is_recovered_from_any_policy_prompt(tmp_path: Path) -> None:
    preset = _preset(tmp_path)
    drawn = preset.resolve(123_456)
    pairs = [(p.index, p.seed) for p in drawn]
    assert base_seed_from(preset, pairs) == 123_456
    assert base_seed_from(preset, pairs[2:]) == 123_456  # one prompt is enough
    assert base_seed_from(preset, [(2, 7)]) is None  # a pinned seed tells nothing
    again = preset.resolve(base_seed_from(preset, pairs))
    assert [p.seed for p in again] == [p.seed for p in drawn]


def test_a_seed_the_provider_changed_is_outvoted(tmp_path: Path) -> None:
    preset = _preset(tmp_path)
    assert base_seed_from(preset, [(1, 500), (3, 502), (1, 99)]) == 500


def test_only_a_random_policy_is_restored(tmp_path: Path) -> None:
    assert base_seed_from(_preset(tmp_path, "per-prompt"), [(1, 5)]) is None


def test_the_journal_is_read_first(tmp_path: Path) -> None:
    preset = _preset(tmp_path)
    journal = Journal(tmp_path / "journal.jsonl")
    row = ImageResult(index=3, prompt_id="c", prompt="", status="failed", seed=4_002)
    journal.append(FinishedRecord.of(JobRef("k", 3, "c"), 1.0, row))
    journal.close()
    (tmp_path / "report.json").write_text('{"images": [{"index": 1, "seed": 77}]}')
    assert earlier_base_seed(RunFolder(tmp_path), preset) == 4_000


def test_the_image_index_then_the_report_when_the_journal_is_lost(tmp_path: Path) -> None:
    preset = _preset(tmp_path)
    folder = RunFolder(tmp_path)
    rows = ",".join(f'{{"index": {i}, "seed": {900 + i - 1}}}' for i in (1, 3))
    folder.report.write_text(f'{{"images": [{rows}]}}')
    assert earlier_base_seed(folder, preset) == 900
    folder.images.mkdir()
    entry = {"file": "images/01-a.png", "sha256": "x", "index": 1, "seed": 31}
    (tmp_path / RunFolder.IMAGE_INDEX).write_text(json.dumps(entry) + "\n")
    assert earlier_base_seed(folder, preset) == 31


def test_damaged_or_unreadable_files_tell_nothing(tmp_path: Path) -> None:
    preset = _preset(tmp_path)
    folder = RunFolder(tmp_path)
    folder.report.write_text("{not json")
    folder.journal.mkdir()  # refused later by the run, naming it
    assert earlier_base_seed(folder, preset) is None
    assert earlier_base_seed(RunFolder(tmp_path / "missing"), preset) is None
