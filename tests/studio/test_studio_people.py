"""Studio mode's inputs: detecting a folder of folders, and reading a manifest CSV."""

from __future__ import annotations

from pathlib import Path

import pytest
from studio_support import SAMPLE_REFS, make_people

from fifo_guard import call_with_timeout, make_fifo
from pinglass.errors import UsageError
from pinglass.studio import Person, is_people_dir, people_in_dir, read_manifest


def test_a_folder_of_folders_is_a_people_folder(tmp_path: Path) -> None:
    root = make_people(tmp_path / "people")
    (root / ".cache").mkdir()  # hidden folders are not people
    assert is_people_dir(root)
    people = people_in_dir(root)
    assert [p.name for p in people] == ["ana", "ben", "cleo"]
    assert people[0] == Person(name="ana", refs_dir=root / "ana")


def test_a_folder_of_selfies_is_not_a_people_folder(tmp_path: Path) -> None:
    assert not is_people_dir(SAMPLE_REFS)
    root = make_people(tmp_path / "people")
    (root / "stray.jpg").symlink_to(SAMPLE_REFS / "IMG_0412.jpg")
    assert not is_people_dir(root)  # a photo at the top level: one person's folder
    empty = tmp_path / "empty"
    empty.mkdir()
    assert not is_people_dir(empty)
    assert not is_people_dir(tmp_path / "missing")


def test_a_subfolder_name_that_cannot_be_an_output_folder_is_refused(tmp_path: Path) -> None:
    root = make_people(tmp_path / "people", {"-x": ("IMG_0412",)})
    with pytest.raises(UsageError, match=r"person '-x' cannot name an output folder"):
        people_in_dir(root)


def _manifest(tmp_path: Path, text: str) -> Path:
    make_people(tmp_path / "refs")
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_manifest_lists_people_with_refs_relative_to_its_folder(tmp_path: Path) -> None:
    path = _manifest(
        tmp_path,
        "person,refs,preset,provider\n"
        "ana,refs/ana,business,mock\n"
        "\n"
        'ben,refs/ben,,"mock,replicate"\n'
        f"cleo,{tmp_path / 'refs/cleo'},casual,\n",
    )
    assert read_manifest(path) == [
        Person("ana", tmp_path / "refs/ana", "business", ("mock",)),
        Person("ben", tmp_path / "refs/ben", None, ("mock", "replicate")),
        Person("cleo", tmp_path / "refs/cleo", "casual", ()),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"people\.csv: empty; the first line names the columns"),
        ("person,refs\nana,refs/ana\n", r"people\.csv:1: missing column 'preset'"),
        ("person,refs,preset,age\n", r"people\.csv:1: unknown column 'age'"),
        ("person,refs,preset\n", r"people\.csv: no person listed"),
        ("person,refs,preset\nana,refs/ana\n", r"people\.csv:2: 2 fields, the header has 3"),
        ("person,refs,preset\nana,refs/ana,business\n,refs/ben,business\n", r"csv:3: empty person"),
        ("person,refs,preset\n../x,refs/ana,business\n", r"csv:2: person '\.\./x' cannot name"),
        (
            "person,refs,preset\nana,refs/ana,business\nAna,refs/ben,business\n",
            r"csv:3: person 'Ana' is listed twice \(also line 2\)",
        ),
        ("person,refs,preset\nana,refs/nobody,business\n", r"csv:2: refs 'refs/nobody' is not"),
        ("person,refs,preset\nana,,business\n", r"csv:2: empty refs"),
        ("person,refs,preset\nana,refs/ana,bussiness\n", r"csv:2: preset 'bussiness': unknown"),
        (
            "person,refs,preset,provider\nana,refs/ana,business,dalle\n",
            r"csv:2: unknown provider 'dalle'",
        ),
        ('person,refs,preset\n"ana,refs/ana,business\n', r"people\.csv:\d+: (not CSV|1 fields)"),
    ],
)
def test_a_bad_manifest_is_one_line_naming_file_and_line(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _manifest(tmp_path, text)
    with pytest.raises(UsageError, match=message) as info:
        read_manifest(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_a_manifest_that_is_not_there_or_not_text(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such manifest file"):
        read_manifest(tmp_path / "nope.csv")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(UsageError, match="not UTF-8 text"):
        read_manifest(tmp_path / "bin.csv")
    with pytest.raises(UsageError, match="a folder, not a manifest"):
        read_manifest(tmp_path)


def test_a_manifest_that_is_a_fifo_is_refused_never_waited_on(tmp_path: Path) -> None:
    fifo = make_fifo(tmp_path / "people.csv")
    with pytest.raises(UsageError) as info:
        call_with_timeout(fifo, read_manifest, fifo)
    assert str(info.value) == f"{fifo}: not a regular file (a manifest is a CSV file)"


def test_a_manifest_saved_with_a_byte_order_mark_reads_as_its_columns(tmp_path: Path) -> None:
    # Excel's "CSV UTF-8" starts the file with a BOM: it must not become part of "person".
    path = _manifest(tmp_path, "\ufeffperson,refs,preset\nana,refs/ana,business\n")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_manifest(path) == [Person("ana", tmp_path / "refs/ana", "business", ())]
