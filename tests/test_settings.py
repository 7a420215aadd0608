"""Settings: key collection, the merged environment, PINGLASS_* variables and pinglass.toml."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from canary import CANARY
from pinglass.errors import ConfigError
from pinglass.providers import PROVIDERS
from pinglass.settings import (
    Settings,
    _toml_error_text,
    collect_keys,
    config_file,
    load_settings,
    merged_environ,
    read_config_toml,
)


def _values(keys: dict[str, list]) -> dict[str, list[tuple[str, str]]]:  # type: ignore[type-arg]
    return {p: [(k.source, k.header_value()) for k in ks] for p, ks in keys.items()}


# --- collect_keys -------------------------------------------------------------------------


def test_collect_keys_name_then_numbered_in_numeric_order() -> None:
    env = {
        "REPLICATE_API_TOKEN_10": "r8_ten_0000000000",
        "REPLICATE_API_TOKEN_2": "r8_two_0000000000",
        "REPLICATE_API_TOKEN": "r8_base_000000000",
        "REPLICATE_API_TOKEN_1": "r8_one_0000000000",
        "UNRELATED": "x",
    }
    keys = _values(collect_keys(env))
    assert keys == {
        "replicate": [
            ("REPLICATE_API_TOKEN", "r8_base_000000000"),
            ("REPLICATE_API_TOKEN_1", "r8_one_0000000000"),
            ("REPLICATE_API_TOKEN_2", "r8_two_0000000000"),
            ("REPLICATE_API_TOKEN_10", "r8_ten_0000000000"),
        ]
    }


def test_collect_keys_dedupes_equal_values_and_ignores_blanks() -> None:
    env = {
        "FAL_KEY": "fal-aaaaaaaaaaaa",
        "FAL_KEY_1": " fal-aaaaaaaaaaaa ",  # same value once stripped
        "FAL_KEY_2": "",
        "FAL_KEY_3": "   ",
        "FAL_KEY_4": "fal-bbbbbbbbbbbb",
        "OPENAI_API_KEY": "",
    }
    keys = _values(collect_keys(env))
    assert keys == {"fal": [("FAL_KEY", "fal-aaaaaaaaaaaa"), ("FAL_KEY_4", "fal-bbbbbbbbbbbb")]}


def test_collect_keys_google_before_gemini() -> None:
    env = {
        "GEMINI_API_KEY": "gemini-0000000001",
        "GOOGLE_API_KEY_1": "google-000000002",
        "GOOGLE_API_KEY": "google-000000001",
        "GEMINI_API_KEY_1": "gemini-0000000002",
    }
    keys = _values(collect_keys(env))
    assert [src for src, _ in keys["google"]] == [
        "GOOGLE_API_KEY",
        "GOOGLE_API_KEY_1",
        "GEMINI_API_KEY",
        "GEMINI_API_KEY_1",
    ]


def test_collect_keys_stability_key_fallback() -> None:
    keys = _values(collect_keys({"STABILITY_KEY": "sk-stab0000000000"}))
    assert keys == {"stability": [("STABILITY_KEY", "sk-stab0000000000")]}
    both = _values(
        collect_keys({"STABILITY_KEY": "sk-old00000000000", "STABILITY_API_KEY": "sk-new000000000"})
    )
    assert [src for src, _ in both["stability"]] == ["STABILITY_API_KEY", "STABILITY_KEY"]


def test_collect_keys_does_not_match_prefix_lookalikes() -> None:
    env = {"FAL_KEY_X": "fal-000000000000", "FAL_KEYS": "fal-111111111111", "XFAL_KEY": "fal-2"}
    assert collect_keys(env) == {}


def test_collect_keys_mock_has_none_and_empty_env_gives_nothing() -> None:
    assert PROVIDERS["mock"].key_env_vars == ()
    assert collect_keys({}) == {}
    every = {var: f"value-{var}-000000" for e in PROVIDERS.values() for var in e.key_env_vars}
    keys = collect_keys(every)
    assert "mock" not in keys
    assert set(keys) == {name for name, e in PROVIDERS.items() if e.key_env_vars}


# --- merged_environ -----------------------------------------------------------------------


def test_merged_environ_reads_dotenv_in_cwd_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        f"FAL_KEY={CANARY}\nREPLICATE_API_TOKEN=r8_from_dotenv_000\n", encoding="utf-8"
    )
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_from_environ_00")
    before = dict(os.environ)
    merged = merged_environ()
    assert merged["FAL_KEY"] == CANARY
    assert merged["REPLICATE_API_TOKEN"] == "r8_from_environ_00"
    assert dict(os.environ) == before  # nothing written into the process environment
    assert "FAL_KEY" not in os.environ
    keys = _values(collect_keys(merged))
    assert keys["fal"] == [("FAL_KEY", CANARY)]
    assert keys["replicate"] == [("REPLICATE_API_TOKEN", "r8_from_environ_00")]


def test_merged_environ_without_dotenv(tmp_path: Path) -> None:
    assert merged_environ(None) == dict(os.environ)
    assert merged_environ(tmp_path / "missing.env") == dict(os.environ)


# --- Settings from PINGLASS_* ---------------------------------------------------------------


def test_defaults() -> None:
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.mock_latency == 0.05
    assert s.mock_fail_rate == 0.0
    assert s.mock_seed == 0
    assert s.prices == {}
    assert s.base_url("replicate") is None


def test_settings_from_pinglass_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINGLASS_MOCK_LATENCY", "0")
    monkeypatch.setenv("PINGLASS_MOCK_FAIL_RATE", "0.25")
    monkeypatch.setenv("PINGLASS_MOCK_SEED", "42")
    monkeypatch.setenv("PINGLASS_POLL_INTERVAL", "2.5")
    s = load_settings()
    assert (s.mock_latency, s.mock_fail_rate, s.mock_seed) == (0.0, 0.25, 42)
    assert s.poll_interval == 2.5
    assert s.provider_options("mock") == {"latency": 0.0, "fail_rate": 0.25, "seed": 42}
    assert s.provider_options("replicate") == {}


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("PINGLASS_MOCK_LATENCY", "soon"),
        ("PINGLASS_MOCK_LATENCY", "-1"),
        ("PINGLASS_MOCK_FAIL_RATE", "1.5"),
        ("PINGLASS_MOCK_SEED", "abc"),
        ("PINGLASS_POLL_INTERVAL", "0"),
    ],
)
def test_bad_env_value_is_config_error_naming_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(f"{var}: ")
    assert "\n" not in message
    assert info.value.exit_code == 2


def test_load_settings_overrides_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINGLASS_MOCK_SEED", "1")
    assert load_settings(mock_seed=9).mock_seed == 9


def test_base_url_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINGLASS_REPLICATE_BASE_URL", "http://127.0.0.1:9/v1")
    s = load_settings()
    assert s.base_url("replicate") == "http://127.0.0.1:9/v1"
    assert s.base_url("fal") is None
    assert s.base_url("no-such-provider") is None


@pytest.mark.parametrize("name", list(PROVIDERS))
def test_every_provider_takes_a_base_url_variable(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(f"PINGLASS_{name.upper()}_BASE_URL", f"https://{name}.proxy.test")
    assert load_settings().base_urls == {name: f"https://{name}.proxy.test"}


def test_base_url_from_dotenv_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "PINGLASS_FAL_BASE_URL=http://dotenv-fal\nPINGLASS_REPLICATE_BASE_URL=http://dotenv-r8\n",
        "utf-8",
    )
    monkeypatch.setenv("PINGLASS_REPLICATE_BASE_URL", "http://env-r8")
    s = load_settings()
    assert s.base_urls == {"fal": "http://dotenv-fal", "replicate": "http://env-r8"}
    assert load_settings(_env_file=None).base_urls == {"replicate": "http://env-r8"}


def test_base_url_of_an_unknown_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINGLASS_NOPE_BASE_URL", "http://x")  # not a provider: not ours
    monkeypatch.setenv("PINGLASS_FAL_BASE_URL", "")  # empty: the default stays
    assert load_settings().base_urls == {}
    with pytest.raises(ConfigError, match=r"PINGLASS_BASE_URLS: .*unknown provider 'nope'"):
        load_settings(base_urls={"nope": "http://x"})


# --- .env and pinglass.toml -----------------------------------------------------------------


def test_dotenv_in_cwd_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PINGLASS_MOCK_SEED=7\nFAL_KEY=ignored-here\n", "utf-8")
    assert load_settings().mock_seed == 7


def test_toml_in_cwd_prices_and_base_urls(tmp_path: Path) -> None:
    (tmp_path / "pinglass.toml").write_text(
        'mock_seed = 3\n[prices]\n"replicate/flux-pulid" = 0.05\n'
        '[base_urls]\nreplicate = "https://proxy.test/v1"\n',
        "utf-8",
    )
    s = load_settings()
    assert config_file() == tmp_path / "pinglass.toml"
    assert s.mock_seed == 3
    assert s.prices == {"replicate/flux-pulid": Decimal("0.05")}
    assert s.base_url("replicate") == "https://proxy.test/v1"


def test_toml_base_urls_merge_with_variables_which_win(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "pinglass.toml").write_text(
        '[base_urls]\nreplicate = "https://toml-r8"\nfal = "https://toml-fal"\n', "utf-8"
    )
    monkeypatch.setenv("PINGLASS_FAL_BASE_URL", "https://env-fal")
    assert load_settings().base_urls == {"replicate": "https://toml-r8", "fal": "https://env-fal"}


def test_toml_typo_key_names_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "pinglass.toml"
    path.write_text("mock_latncy = 1\n", "utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert str(path) in message
    assert "mock_latncy" in message
    assert "\n" not in message


def test_toml_unknown_base_url_provider(tmp_path: Path) -> None:
    (tmp_path / "pinglass.toml").write_text('[base_urls]\nreplicat = "https://x"\n', "utf-8")
    with pytest.raises(ConfigError, match=r"base_urls\.replicat: unknown provider"):
        load_settings()


def test_toml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "pinglass.toml"
    path.write_text("mock_seed = 1\nmock_latency = = 2\n", "utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(f"{path}: line 2, column ")
    assert "\n" not in message


def test_toml_negative_price_is_config_error(tmp_path: Path) -> None:
    (tmp_path / "pinglass.toml").write_text('[prices]\n"mock/mock-portrait" = -1\n', "utf-8")
    with pytest.raises(ConfigError, match="negative"):
        load_settings()


def test_user_config_dir_used_when_cwd_has_none(tmp_path: Path) -> None:
    user = tmp_path / "xdg-config" / "pinglass" / "pinglass.toml"
    user.parent.mkdir(parents=True)
    user.write_text("mock_seed = 11\n", "utf-8")
    assert config_file() == user
    assert load_settings().mock_seed == 11
    (tmp_path / "pinglass.toml").write_text("mock_seed = 12\n", "utf-8")
    assert config_file() == tmp_path / "pinglass.toml"
    assert load_settings().mock_seed == 12


def test_no_config_file_anywhere() -> None:
    assert config_file() is None


def test_precedence_env_over_dotenv_over_toml_over_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "pinglass.toml").write_text(
        "mock_seed = 1\nmock_fail_rate = 0.1\nmock_latency = 0.3\n", "utf-8"
    )
    (tmp_path / ".env").write_text("PINGLASS_MOCK_SEED=2\nPINGLASS_MOCK_FAIL_RATE=0.2\n", "utf-8")
    monkeypatch.setenv("PINGLASS_MOCK_SEED", "3")
    s = load_settings()
    assert s.mock_seed == 3  # environment
    assert s.mock_fail_rate == 0.2  # .env
    assert s.mock_latency == 0.3  # pinglass.toml
    assert s.poll_interval == 1.0  # default


def test_settings_for_tests_ignore_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PINGLASS_MOCK_SEED=2\n", "utf-8")
    assert Settings(_env_file=None).mock_seed == 0  # type: ignore[call-arg]


def test_toml_not_utf8_is_config_error(tmp_path: Path) -> None:
    path = tmp_path / "pinglass.toml"
    path.write_bytes(b"mock_seed = 1\n# \xff\xfe\n")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value) == f"{path}: not UTF-8 text"


def test_unreadable_toml_is_config_error(tmp_path: Path) -> None:
    folder = tmp_path / "config-dir"
    folder.mkdir()
    with pytest.raises(ConfigError, match="cannot read"):
        read_config_toml(folder)


def test_toml_error_text_without_position() -> None:
    import tomllib

    assert _toml_error_text(tomllib.TOMLDecodeError("odd")) == "odd"


@pytest.mark.parametrize(
    ("line", "name"),
    [("mock_fail_rate = 2", "mock_fail_rate"), ("poll_interval = 0", "poll_interval")],
)
def test_toml_out_of_range_value_names_the_file(tmp_path: Path, line: str, name: str) -> None:
    path = tmp_path / "pinglass.toml"
    path.write_text(line + "\n", "utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value).startswith(f"{path}: {name}: ")
