"""Every bad input to ``pinglass generate``, run as a real subprocess of the CLI.

Each case asserts the exit code README.md's table gives, one ``error:`` line naming the file,
line, prompt or flag at fault, and that no traceback reaches the user. The runs use a three-prompt
preset and three sample photos so each takes about a second.
"""

from __future__ import annotations

import json
import os
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hardening_support import (
    PROMPT_IDS,
    clean_env,
    copy_good_refs,
    preset_toml,
    run_cli,
    write_tiny_preset,
)

from canary import CANARY

pytestmark = pytest.mark.slow

# A paid provider that must never be reached by these runs: nothing listens on port 9.
_PAID = {"REPLICATE_API_TOKEN": CANARY, "PINGLASS_REPLICATE_BASE_URL": "http://127.0.0.1:9/v1"}


@dataclass(frozen=True, slots=True)
class Case:
    """One row of the matrix: how to build the inputs, and what the user must see."""

    id: str
    build: Callable[[Path], list[str]]
    """Makes the inputs in the folder given; returns the CLI arguments."""
    code: int
    message: str
    """A regular expression the single ``error:`` line must match."""
    env: dict[str, str] = field(default_factory=dict)


def _generate(refs: Path | str, preset: Path | str, *extra: str) -> list[str]:
    return ["generate", str(refs), "--preset", str(preset), "--provider", "mock", "--yes", *extra]


def _with_preset(text: str) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        (tmp / "bad.toml").write_text(text, encoding="utf-8")
        return _generate(copy_good_refs(tmp / "refs"), tmp / "bad.toml")

    return build


def _standard(*extra: str, refs: str = "refs") -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        if refs == "refs":
            copy_good_refs(tmp / "refs")
        return _generate(tmp / refs, write_tiny_preset(tmp), *extra)

    return build


def _refs_folder(make: Callable[[Path], None]) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        make(tmp / "refs")
        return _generate(tmp / "refs", write_tiny_preset(tmp))

    return build


def _empty(folder: Path) -> None:
    folder.mkdir()


def _a_file(path: Path) -> None:
    path.write_text("not a folder")


def _non_images(folder: Path) -> None:
    folder.mkdir()
    (folder / "notes.txt").write_text("selfies go here")
    (folder / "IMG_0001.jpg").write_bytes(b"this is not a JPEG at all" * 40)


def _out_is_file(tmp: Path) -> list[str]:
    (tmp / "taken").write_text("a file")
    return _standard("--out", str(tmp / "taken"))(tmp)


def _out_below_file(tmp: Path) -> list[str]:
    (tmp / "taken").write_text("a file")
    return _standard("--out", str(tmp / "taken" / "run"))(tmp)


def _replicate(*extra: str, yes: bool = False) -> Callable[[Path], list[str]]:
    """A run on a paid provider (Replicate) that is refused before any request."""

    def build(tmp: Path) -> list[str]:
        args = _standard(*extra)(tmp)
        args[args.index("mock")] = "replicate"
        return args if yes else [a for a in args if a != "--yes"]

    return build


def _bad_dotenv(tmp: Path) -> list[str]:
    (tmp / ".env").write_text("PINGLASS_POLL_INTERVAL=soon\n")
    return _standard()(tmp)


def _bad_config_file(tmp: Path) -> list[str]:
    (tmp / "pinglass.toml").write_text("poll_intervall = 2\n")
    return _standard()(tmp)


def _unknown_preset(tmp: Path) -> list[str]:
    return _generate(copy_good_refs(tmp / "refs"), "buisness")


_LONG = "portrait " * 130  # 1170 characters: within a preset's 2000, over the mock's 1000

CASES = [
    Case("refs-missing", _standard(refs="nowhere"), 2, r"nowhere.*(no such folder|not found)"),
    Case("quiet-still-shows-the-error", _standard("--quiet", refs="nowhere"), 2, r"nowhere"),
    Case("refs-empty", _refs_folder(_empty), 2, r"refs.*(no (image|photo)|empty)"),
    Case("refs-is-a-file", _refs_folder(_a_file), 2, r"refs.*not a folder"),
    Case("refs-not-images", _refs_folder(_non_images), 2, r"refs.*(unreadable|no usable)"),
    Case(
        "preset-unknown",
        _unknown_preset,
        2,
        r"unknown preset 'buisness' \(did you mean 'business'\?\)",
    ),
    Case(
        "preset-toml-syntax",
        _with_preset('[preset]\nname = "bad"\n\n[[prompts]]\nid = "a"\ntext = "x\n'),
        2,
        r"bad\.toml:6:\d+: TOML syntax error",
    ),
    Case(
        "preset-schema",
        _with_preset(
            preset_toml([("one", "a"), ("two", "b")]).replace(
                'id = "two"\n', 'id = "two"\nsteps = "many"\n'
            )
        ),
        2,
        r"bad\.toml:\d+: prompt 2 \(id 'two'\): steps",
    ),
    Case(
        "preset-duplicate-ids",
        _with_preset(preset_toml([("same", "a"), ("same", "b")])),
        2,
        r"bad\.toml:\d+: prompt 2: duplicate id 'same'",
    ),
    Case(
        "preset-no-prompts",
        _with_preset('[preset]\nname = "empty"\n'),
        2,
        r"bad\.toml.*no prompts",
    ),
    Case(
        "prompt-over-model-limit",
        _with_preset(preset_toml([("short", "a portrait"), ("wordy", _LONG)])),
        2,
        r"prompt 'wordy'.*1169 characters.*mock/mock-portrait accepts at most 1000",
    ),
    Case(
        "provider-unknown",
        _standard("--provider", "nosuch"),
        2,
        r"unknown provider 'nosuch'.*replicate",
    ),
    Case(
        "model-unknown",
        _standard("--model", "nosuch"),
        2,
        r"unknown model 'nosuch' for mock.*mock-portrait",
    ),
    Case("max-cost-negative", _standard("--max-cost", "-1"), 2, r"--max-cost.*0 or more"),
    Case("max-cost-nan", _standard("--max-cost", "nan"), 2, r"--max-cost 'nan': not a finite"),
    Case("refs-top-zero", _standard("--refs-top", "0"), 2, r"--refs-top must be between 1 and 20"),
    Case(
        "seed-negative", _standard("--seed", "-1"), 2, r"--seed must be between 0 and \d+, not -1"
    ),
    Case("only-unknown-id", _standard("--only", "nope"), 2, r"--only: unknown prompt id 'nope'"),
    Case("dotenv-bad-value", _bad_dotenv, 2, r"PINGLASS_POLL_INTERVAL: .*\(set in .*\.env\)"),
    Case("config-file-typo", _bad_config_file, 2, r"pinglass\.toml.*poll_intervall"),
    Case("concurrency-zero", _standard("--concurrency", "0"), 2, r"--concurrency"),
    Case("out-is-a-file", _out_is_file, 2, r"--out .*taken.*is a file"),
    Case("out-below-a-file", _out_below_file, 2, r"--out .*taken/run.*cannot write"),
    Case(
        "paid-without-yes-no-tty",
        _replicate(),
        3,
        r"estimated at \$\d+\.\d+ and needs confirmation; re-run with --yes",
        env=_PAID,
    ),
    Case(
        "estimate-over-max-cost",
        _replicate("--max-cost", "0.01", yes=True),
        3,
        r"estimated \$0\.\d+ for 3 images on replicate/\S+ exceeds --max-cost \$0\.01",
        env=_PAID,
    ),
    Case(
        "paid-provider-without-key",
        _replicate(yes=True),
        4,
        r"no key for replicate: set REPLICATE_API_TOKEN",
    ),
]


def _is_root_proof(folder: Path) -> bool:
    """True when a read-only folder really refuses writes (root ignores the mode bits)."""
    probe = folder / ".probe"
    try:
        probe.write_bytes(b"")
    except OSError:
        return True
    probe.unlink()
    return False


def _read_only_out(tmp: Path) -> list[str]:
    locked = tmp / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    if not _is_root_proof(locked):
        pytest.skip("running as root: a read-only folder is still writable")
    return _standard("--out", str(locked / "run"))(tmp)


CASES.append(Case("out-read-only", _read_only_out, 2, r"--out .*locked/run.*cannot write"))


def _in_out(name: str, make: Callable[[Path], None]) -> Callable[[Path], list[str]]:
    """A run into ``run/`` where ``run/NAME`` was made by ``make`` (a folder, a FIFO, ...)."""

    def build(tmp: Path) -> list[str]:
        (tmp / "run").mkdir()
        make(tmp / "run" / name)
        return _standard("--out", str(tmp / "run"))(tmp)

    return build


def _fifo_preset(tmp: Path) -> list[str]:
    os.mkfifo(tmp / "fifo.toml")
    return _generate(copy_good_refs(tmp / "refs"), tmp / "fifo.toml")


def _fifo_manifest(tmp: Path) -> list[str]:
    os.mkfifo(tmp / "people.csv")
    return ["generate", "--manifest", str(tmp / "people.csv"), "--provider", "mock", "--yes"]


def _in_cwd(name: str, make: Callable[[Path], None]) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        make(tmp / name)
        return _standard()(tmp)

    return build


def _binary(path: Path) -> None:
    path.write_bytes(bytes(range(128, 256)) * 20)


def _deep(path: Path) -> None:
    path.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")


def _deep_preset(tmp: Path) -> list[str]:
    text = '[preset]\nname = "deep"\nx = ' + "[" * 5000 + "]" * 5000 + "\n"
    (tmp / "deep.toml").write_text(text)
    return _generate(copy_good_refs(tmp / "refs"), tmp / "deep.toml")


def _config(text: str) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        (tmp / "pinglass.toml").write_text(text)
        return _standard()(tmp)

    return build


def _mkdir(path: Path) -> None:
    path.mkdir()


# Issue 12: files that are folders, FIFOs, binary or absurdly nested, and absurd settings: exit 2
# with the file or setting named, never "internal error" and never a hang.
CASES += [
    Case(
        "journal-is-a-folder", _in_out("journal.jsonl", _mkdir), 2, r"run/journal\.jsonl: a folder"
    ),
    Case("report-is-a-folder", _in_out("report.json", _mkdir), 2, r"run/report\.json: a folder"),
    Case(
        "journal-is-a-fifo",
        _in_out("journal.jsonl", os.mkfifo),
        2,
        r"run/journal\.jsonl: not a regular file",
    ),
    Case("dotenv-binary", _in_cwd(".env", _binary), 2, r"\.env: not UTF-8 text"),
    Case("dotenv-fifo", _in_cwd(".env", os.mkfifo), 2, r"\.env: not a regular file"),
    Case("preset-fifo", _fifo_preset, 2, r"fifo\.toml.*not a regular file"),
    Case("manifest-fifo", _fifo_manifest, 2, r"people\.csv: not a regular file"),
    Case("preset-deeply-nested", _deep_preset, 2, r"deep\.toml.*nested too deeply"),
    Case("config-deeply-nested", _in_cwd("pinglass.toml", _deep), 2, r"pinglass\.toml.*nested"),
    Case(
        "max-download-inf",
        _standard(),
        2,
        r"PINGLASS_MAX_DOWNLOAD_MB: .*finite.*environment",
        env={"PINGLASS_MAX_DOWNLOAD_MB": "inf"},
    ),
    Case(
        "max-download-1e308",
        _standard(),
        2,
        r"PINGLASS_MAX_DOWNLOAD_MB: .*less than or equal to 1024",
        env={"PINGLASS_MAX_DOWNLOAD_MB": "1e308"},
    ),
    Case(
        "poll-timeout-inf",
        _standard(),
        2,
        r"PINGLASS_POLL_TIMEOUT: .*finite",
        env={"PINGLASS_POLL_TIMEOUT": "inf"},
    ),
    Case(
        "request-timeout-nan",
        _standard(),
        2,
        r"PINGLASS_REQUEST_TIMEOUT: .*finite",
        env={"PINGLASS_REQUEST_TIMEOUT": "nan"},
    ),
    Case(
        "price-1000-per-image",
        _config('[prices]\n"mock/mock-portrait" = 1000\n'),
        2,
        r"pinglass\.toml: prices: .*'mock/mock-portrait'.*\$1000 or more",
    ),
    Case(
        "price-infinite",
        _standard(),
        2,
        r"PINGLASS_PRICES: .*finite",
        env={"PINGLASS_PRICES": '{"mock/mock-portrait": "Infinity"}'},
    ),
    Case(
        "download-timeout-huge",
        _config("download_timeout = 1e308\n"),
        2,
        r"pinglass\.toml: download_timeout: .*less than or equal to 3600",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_one_clear_line(case: Case, tmp_path: Path) -> None:
    args = case.build(tmp_path)
    result = run_cli(tmp_path, *args, env=clean_env(**case.env))
    assert "Traceback" not in result.output
    assert result.code == case.code, result.output
    errors = result.error_lines()
    assert len(errors) == 1, result.stderr
    assert re.search(case.message, errors[0]), errors[0]
    assert CANARY not in result.output


def _zero_byte(path: Path) -> None:
    path.write_bytes(b"")


def _truncated(path: Path, good: Path) -> None:
    path.write_bytes(good.read_bytes()[:2000])


def _corrupt(path: Path, good: Path) -> None:
    """A JPEG's start and end markers around bytes that are not a JPEG stream."""
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\xff\xd9")


def _png_bomb(path: Path) -> None:
    """A 150-byte PNG whose header claims 60000 x 60000 pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def test_broken_photos_are_skipped_and_the_run_goes_on(tmp_path: Path) -> None:
    refs = copy_good_refs(tmp_path / "refs")
    good = refs / sorted(os.listdir(refs))[0]
    _zero_byte(refs / "zero.jpg")
    _truncated(refs / "truncated.jpg", good)
    _corrupt(refs / "corrupt.jpg", good)
    _png_bomb(refs / "bomb.png")
    out = tmp_path / "run"
    result = run_cli(
        tmp_path, *_generate(refs, write_tiny_preset(tmp_path), "--out", str(out), "--json")
    )
    assert "Traceback" not in result.output
    assert result.code == 0, result.output
    report = json.loads(result.stdout)
    assert report == json.loads((out / "report.json").read_text())
    assert report["status"] == "completed"
    assert [i["prompt_id"] for i in report["images"]] == list(PROMPT_IDS)
    reasons = {r["file"]: r["rejected_reason"] for r in report["references"]}
    broken = ("zero.jpg", "truncated.jpg", "corrupt.jpg", "bomb.png")
    assert {name: reasons[name] for name in broken} == dict.fromkeys(broken, "unreadable")
    details = {r["file"]: r["detail"] or "" for r in report["references"]}
    assert "decompression bomb" in details["bomb.png"]
    assert "empty" in details["zero.jpg"] and "truncated" in details["truncated.jpg"]
    assert details["corrupt.jpg"]
    used = {r["file"] for r in report["references"] if r["used"]}
    assert used and used.isdisjoint(broken)
