"""``pinglass.jsonl``: the JSON-lines files a run appends to, read back line by line."""

from __future__ import annotations

from pathlib import Path

from fifo_guard import call_with_timeout, make_fifo
from pinglass.jsonl import append_object, objects, read_objects
from pinglass.runner.journal import read_journal


def test_only_whole_json_objects_are_kept_in_order() -> None:
    deep = "[" * 100_000 + "]" * 100_000  # past the parser's recursion limit
    text = "\n".join(['{"a": 1}', '{"a": 2', "[1, 2]", '"text"', "", deep, '{"b": {"c": 3}}'])
    assert objects(text) == [{"a": 1}, {"b": {"c": 3}}]


def test_a_missing_file_or_a_fifo_reads_as_empty(tmp_path: Path) -> None:
    assert read_objects(tmp_path / "missing.jsonl") == []
    fifo = make_fifo(tmp_path / ".index.jsonl")
    assert call_with_timeout(fifo, read_objects, fifo) == []


def test_a_journal_line_nested_too_deeply_is_skipped_not_raised(tmp_path: Path) -> None:
    """Before the shared reader, the run journal let RecursionError out of such a line."""
    journal = tmp_path / "journal.jsonl"
    deep = "[" * 100_000 + "]" * 100_000
    journal.write_text(f'{{"job": "a", "n": 1}}\n{deep}\n{{"n": 2}}\n{{"job": "b"}}\n')
    assert read_journal(journal) == [{"job": "a", "n": 1}, {"job": "b"}]


def test_appended_objects_read_back_in_order_from_an_owner_only_file(tmp_path: Path) -> None:
    path = tmp_path / ".likeness.jsonl"
    append_object(path, {"file": "a.png", "score": 0.5})
    append_object(path, {"file": "b.png", "nested": {"x": [1, 2]}}, durable=True)
    assert read_objects(path) == [
        {"file": "a.png", "score": 0.5},
        {"file": "b.png", "nested": {"x": [1, 2]}},
    ]
    assert path.read_text().count("\n") == 2
    assert path.stat().st_mode & 0o777 == 0o600
