"""Shared pieces of the hardening tests: the CLI as a subprocess, a tiny preset, a few refs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pinglass.providers import PROVIDERS

SAMPLE_REFS = Path(__file__).resolve().parents[2] / "sample_refs"
# Three front-facing sample photos that score as usable: enough for a run, quick to score.
GOOD_REFS = ("IMG_0412.jpg", "IMG_0427.jpg", "IMG_0415.jpg")
PROMPT_IDS = ("grey-studio", "window-light", "park-bench")

STANDIN_TOKEN = "r8_standin_token_000000001"
"""A Replicate token the loopback stand-in (``tests/standin.py``) accepts."""
FLUX_DEV_PRICE = 0.025
"""The catalog price of replicate/flux-dev, per image: what the stand-in runs are priced at."""

_VENDOR_VARS = {var for entry in PROVIDERS.values() for var in entry.key_env_vars}


@dataclass(frozen=True, slots=True)
class Result:
    """A finished CLI process: exit code and both streams as text."""

    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout and stderr together."""
        return self.stdout + self.stderr

    def error_lines(self) -> list[str]:
        """The stderr lines that are errors (``error: ...``)."""
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]


def clean_env(**extra: str) -> dict[str, str]:
    """The parent environment without any PINGLASS_* or vendor key variable, plus ``extra``.

    PINGLASS_DEBUG is left unset, as a user runs the tool; a wide terminal keeps each
    message on one line; the mock provider answers at once.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PINGLASS_") and k.rstrip("0123456789").rstrip("_") not in _VENDOR_VARS
    }
    env.update(
        {"PINGLASS_MOCK_LATENCY": "0", "COLUMNS": "250", "TERM": "dumb", "NO_COLOR": "1"},
    )
    env.update(extra)
    return env


def run_cli(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> Result:
    """``python -m pinglass ARGS`` in ``cwd`` with stdin closed (not a terminal)."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "pinglass", *args],
        cwd=cwd,
        env=env if env is not None else clean_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def copy_good_refs(folder: Path, names: tuple[str, ...] = GOOD_REFS) -> Path:
    """Copy a few usable sample photos into ``folder`` (created) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(SAMPLE_REFS / name, folder / name)
    return folder


def preset_toml(prompts: list[tuple[str, str]], *, name: str = "tiny") -> str:
    """A small preset document with one ``[[prompts]]`` table per (id, text)."""
    parts = [f'[preset]\nname = "{name}"\n\n[defaults]\nwidth = 512\nheight = 512\n']
    parts += [f'\n[[prompts]]\nid = "{pid}"\ntext = "{text}"\n' for pid, text in prompts]
    return "".join(parts)


def write_tiny_preset(folder: Path, name: str = "tiny.toml") -> Path:
    """A valid three-prompt preset file in ``folder``."""
    texts = ("studio portrait, grey backdrop", "portrait by a window", "portrait in a park")
    path = folder / name
    path.write_text(preset_toml(list(zip(PROMPT_IDS, texts, strict=True))), encoding="utf-8")
    return path


def standin_env(base_url: str) -> dict[str, str]:
    """:func:`clean_env` for a run against the Replicate stand-in at ``base_url``."""
    return clean_env(
        REPLICATE_API_TOKEN=STANDIN_TOKEN,
        PINGLASS_REPLICATE_BASE_URL=base_url,
        PINGLASS_POLL_INTERVAL="0.05",
    )


def standin_generate(tmp: Path, preset: Path | str, out: Path, *extra: str) -> list[str]:
    """``generate`` arguments for replicate/flux-dev into ``out``, with ``--yes --json``.

    The refs are ``tmp/refs``, copied from the good sample photos the first time only, so a
    test may remove one between runs.
    """
    refs = tmp / "refs"
    if not refs.is_dir():
        copy_good_refs(refs)
    return [
        "generate", str(refs), "--preset", str(preset), "--provider", "replicate/flux-dev",
        "--out", str(out), "--yes", "--json", *extra,
    ]  # fmt: skip


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 120) -> None:
    """Poll ``condition`` until it holds; past ``seconds``, fail the test saying ``what`` never
    happened (a run that stalls fails instead of hanging CI)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)
