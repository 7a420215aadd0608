"""The command line as a shell user meets it, each case a real ``python -m pinglass`` process.

Streams (results on stdout, the rest on stderr), ``--json`` failure documents with the exit
code, one ``--quiet`` rule, completion, help text, a closed pipe during a run, and Ctrl-D at
the spending question. Cases are grouped so each process checks several things.
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hardening_support import SAMPLE_REFS, clean_env, copy_good_refs, run_cli, write_tiny_preset

from canary import CANARY

pytestmark = pytest.mark.slow

# A paid provider that must never be reached: nothing listens on port 9.
_PAID = {"REPLICATE_API_TOKEN": CANARY, "PINGLASS_REPLICATE_BASE_URL": "http://127.0.0.1:9/v1"}
_PHONE = ("PXL_20240315_142213456.jpg", "PXL_20240315_142213457.jpg")


def _phone_refs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for source, name in zip(("IMG_0412.jpg", "IMG_0427.jpg"), _PHONE, strict=True):
        shutil.copy(SAMPLE_REFS / source, folder / name)
    return folder


def test_results_go_to_stdout_and_can_be_piped(tmp_path: Path) -> None:
    providers = run_cli(tmp_path, "providers", env=clean_env(COLUMNS="80"))
    assert providers.code == 0 and providers.stderr == ""
    pulid = [line for line in providers.stdout.splitlines() if "pulid" in line]
    assert any(line.startswith("replicate/flux-pulid") for line in pulid)
    assert "REPLICATE_API_TOKEN" in providers.stdout  # key variables listed, not dropped
    assert "Prices checked 20" in providers.stdout  # the price-check date

    refs = run_cli(
        tmp_path, "refs", str(_phone_refs(tmp_path / "refs")), env=clean_env(COLUMNS="80")
    )
    assert refs.code == 0
    assert all(name in refs.stdout for name in _PHONE)
    assert refs.stdout.rstrip().endswith("usable of 2.")
    assert "warning:" in refs.stderr and "warning:" not in refs.stdout


@pytest.mark.parametrize(
    ("args", "env", "code", "kind"),
    [
        (["refs", "/nonexistent", "--json"], {}, 2, "refs"),
        (["report", "/nonexistent", "--json"], {}, 2, "usage"),
        (["estimate", "--provider", "nosuch", "--json"], {}, 2, "usage"),
        (["test-keys", "--json"], {}, 4, "no_usable_provider"),
        (["presets", "show", "nosuch", "--json"], {}, 2, "usage"),
        (["providers", "--no-such-flag", "--json"], {}, 2, "usage"),
        (["generate", "refs", "--provider", "replicate", "--json"], _PAID, 3, "budget_refused"),
    ],
    ids=["refs", "report", "estimate", "test-keys", "presets", "click-usage", "generate-refused"],
)
def test_json_answers_one_error_document_with_the_exit_code(
    tmp_path: Path, args: list[str], env: dict[str, str], code: int, kind: str
) -> None:
    copy_good_refs(tmp_path / "refs")
    result = run_cli(tmp_path, *args, env=clean_env(**env))
    assert result.code == code, result.stderr
    doc = json.loads(result.stdout)  # exactly one document
    assert doc["error"]["exit_code"] == code and doc["error"]["kind"] == kind
    assert doc["error"]["message"]
    assert "Traceback" not in result.stderr and CANARY not in result.output


def test_quiet_is_errors_and_the_one_line_result_on_every_command(tmp_path: Path) -> None:
    refs = copy_good_refs(tmp_path / "refs")
    preset = write_tiny_preset(tmp_path)
    cases = [
        ["estimate", "--provider", "replicate", "-q"],
        ["providers", "-q"],
        ["presets", "list", "-q"],
        ["presets", "show", "business", "-q"],
        ["refs", str(refs), "-q"],
        ["test-keys", "--provider", "mock", "-q"],
        ["generate", str(refs), "--preset", str(preset), "--provider", "mock", "-q"],
        ["report", "pinglass-out/q", "-q"],
    ]
    cases[6] += ["--out", "pinglass-out/q"]
    for args in cases:
        result = run_cli(tmp_path, *args)
        assert result.code == 0, (args, result.stderr)
        assert result.stderr == "", (args, result.stderr)
        assert len(result.stdout.splitlines()) == 1, (args, result.stdout)


def test_quiet_still_shows_errors(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "estimate", "--provider", "nosuch", "-q")
    assert result.code == 2 and result.stdout == ""
    assert result.error_lines() and "unknown provider 'nosuch'" in result.stderr


def test_completion_of_presets_providers_and_models(tmp_path: Path) -> None:
    def complete(words: str) -> list[str]:
        env = clean_env(
            _PINGLASS_COMPLETE="complete_bash",
            COMP_WORDS=words,
            COMP_CWORD=str(len(words.split()) - 1),
        )
        return run_cli(tmp_path, env=env).stdout.split()

    assert complete("pinglass generate x --preset bu") == ["business"]
    assert "fal/flux-pulid" in complete("pinglass generate x --provider fal/")
    assert "replicate" in complete("pinglass estimate --provider re")
    assert complete("pinglass estimate --provider replicate,fal/flux-pu") == [
        "replicate,fal/flux-pulid"
    ]
    script = run_cli(tmp_path, "--show-completion", "bash")
    assert script.code == 0 and "_PINGLASS_COMPLETE" in script.stdout


def test_help_shows_what_a_person_types(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "generate", "--help", env=clean_env(COLUMNS="80"))
    assert result.code == 0
    assert "Usage: pinglass generate [OPTIONS] [REFS]" in result.stdout  # REFS or --subject
    assert "<bool>" not in result.stdout and "{refs}" not in result.stdout
    refs_row = next(line for line in result.stdout.splitlines() if "│   REFS" in line)
    assert "<path>" not in refs_row and "Folder of 10" in refs_row  # no type label on arguments
    max_cost = next(line for line in result.stdout.splitlines() if "│ --max-cost" in line)
    assert "USD" in max_cost and "<str>" not in max_cost
    root = run_cli(tmp_path, "--help", env=clean_env(COLUMNS="80"))
    assert "--install-completion" in root.stdout and "<bool>" not in root.stdout


def test_a_closed_pipe_does_not_stop_the_run(tmp_path: Path) -> None:
    """``pinglass generate … | head -3``: both streams closed early; the run still finishes."""
    refs = copy_good_refs(tmp_path / "refs")
    preset = write_tiny_preset(tmp_path)
    args = ["generate", str(refs), "--preset", str(preset), "--provider", "mock", "--yes"]
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "pinglass", *args, "--out", "out", "--json", "-v"],
        cwd=tmp_path,
        env=clean_env(PINGLASS_MOCK_LATENCY="0.3"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stderr.readline()  # like head: read a little, then go away
    proc.stdout.close()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 0
    report = json.loads((tmp_path / "out/report.json").read_text())
    assert report["status"] == "completed" and report["totals"]["succeeded"] == 3
    assert (tmp_path / "out/contact-sheet.jpg").is_file()


@pytest.mark.parametrize("key", ["ctrl-d", "ctrl-c"])
def test_ctrl_d_or_ctrl_c_at_the_spending_question_declines_with_exit_3(
    tmp_path: Path, key: str
) -> None:
    refs = copy_good_refs(tmp_path / "refs")
    preset = write_tiny_preset(tmp_path)
    primary, secondary = pty.openpty()  # a terminal on stdin, so pinglass asks
    err_path = tmp_path / "stderr.txt"
    with err_path.open("w") as err:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "pinglass",
                "generate",
                str(refs),
                "--preset",
                str(preset),
                "--provider",
                "replicate",
                "--out",
                "out",
            ],
            cwd=tmp_path,
            env=clean_env(**_PAID),
            stdin=secondary,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        os.close(secondary)
        deadline = time.monotonic() + 60
        while "Spend up to" not in err_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        if key == "ctrl-d":
            os.write(primary, b"\x04")
        else:
            proc.send_signal(signal.SIGINT)
        stdout, _ = proc.communicate(timeout=60)
    os.close(primary)
    stderr = err_path.read_text()
    assert proc.returncode == 3, stderr
    assert "error: declined; nothing was sent" in stderr
    assert "Aborted" not in stderr and stdout == ""
