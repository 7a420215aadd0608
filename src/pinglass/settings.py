"""Settings: ``PINGLASS_*`` variables, ``.env``, ``pinglass.toml``, and provider keys.

Resolution order, highest first: CLI flag > environment > ``.env`` > ``pinglass.toml`` (the
working directory's, else the user config dir's) > defaults.

Provider keys keep each vendor's own variable names (``REPLICATE_API_TOKEN``, ``FAL_KEY``, …),
each also as ``NAME_1``, ``NAME_2``, … for several keys of one provider. They are read from the
same merged source as the settings (environment over ``.env``) and never written to
``os.environ``.

A provider's API base is replaced by ``PINGLASS_<NAME>_BASE_URL`` (environment or ``.env``) or
``[base_urls]`` in ``pinglass.toml``; all of them land in :attr:`Settings.base_urls`.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from dotenv import dotenv_values
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from pinglass.errors import ConfigError
from pinglass.providers import PROVIDERS
from pinglass.regular_file import FileTooLarge, NotRegularFile, read_regular_file
from pinglass.secrets import ApiKey

if TYPE_CHECKING:
    import httpx

    from pinglass.providers.base import Provider

__all__ = ["Settings", "collect_keys", "config_file", "load_settings"]

CONFIG_NAME = "pinglass.toml"
MAX_PRICE_USD = Decimal(1000)


def config_file(cwd: Path | None = None) -> Path | None:
    """The ``pinglass.toml`` in use: the working directory's, else the user config dir's."""
    here = (cwd or Path.cwd()) / CONFIG_NAME
    if os.path.lexists(here) and not here.is_dir():  # not a regular file: refused when read
        return here
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    user = Path(base) / "pinglass" / CONFIG_NAME
    return user if user.is_file() else None


class Settings(BaseSettings):
    """Everything configurable outside the command line. Build tests with ``_env_file=None``."""

    model_config = SettingsConfigDict(
        env_prefix="PINGLASS_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
        allow_inf_nan=False,
    )

    mock_latency: float = Field(default=0.05, ge=0, le=60)
    """Seconds the mock provider takes per image."""
    mock_fail_rate: float = Field(default=0.0, ge=0, le=1)
    """Share of mock attempts that fail with a transient error (0–1)."""
    mock_seed: int = 0
    """Seed for the mock provider's failures and pictures."""
    poll_interval: float = Field(default=1.0, gt=0, le=60)
    """Seconds between status polls of a create-then-poll provider."""
    poll_timeout: float = Field(default=600.0, gt=0, le=86_400, allow_inf_nan=False)
    """Seconds a single image may stay pending before it is given up (at most a day)."""
    request_timeout: float = Field(default=180.0, gt=0, le=3600, allow_inf_nan=False)
    """Read timeout for one HTTP request, in seconds (synchronous generation can be slow)."""
    max_download_mb: float = Field(default=50.0, gt=0, le=1024, allow_inf_nan=False)
    """Largest output image pinglass will download, in MB (at most 1 GB)."""
    download_timeout: float = Field(default=300.0, gt=0, le=3600, allow_inf_nan=False)
    """Seconds one output download may take in all, however slowly the bytes arrive."""
    safety_checker: bool = True
    """Ask models that have a safety checker to run it (``--no-safety-checker`` turns it off)."""
    retry_failed: int = Field(default=1, ge=0, le=5)
    """Times a job the provider failed is made again on the same model before falling back
    along the chain (``--retry-failed``)."""
    identity_threshold: float = Field(default=0.6, gt=0, le=2)
    """Face-embedding distance above which a reference is ``not_same_person`` (identity extra)."""
    no_identity: bool = False
    """Skip the identity checks (dlib) even when the extra is installed: faster scoring."""
    prices: dict[str, Decimal] = Field(default_factory=dict)
    """Price overrides: ``"provider/model" = USD per unit`` (``[prices]`` in pinglass.toml)."""
    subjects_dir: Path = Path("subjects")
    """Where ``pinglass train`` keeps subjects (``subjects/NAME/subject.json``)."""
    fal_platform_url: str | None = None
    """fal's platform API base (``https://api.fal.ai/v1``), for looking up a lost submit."""

    base_urls: dict[str, str] = Field(default_factory=dict)
    """API base overrides by provider name, for proxies, gateways and tests
    (``PINGLASS_<NAME>_BASE_URL`` or ``[base_urls]`` in pinglass.toml)."""

    @field_validator("base_urls")
    @classmethod
    def _known_providers(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if name not in PROVIDERS:
                raise ValueError(
                    f"unknown provider {name!r}; choose one of: {', '.join(PROVIDERS)}"
                )
        return {name: url for name, url in value.items() if url}

    @field_validator("prices")
    @classmethod
    def check_prices(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        """Refuse a price that is negative, not finite, or $1,000 or more per unit."""
        for name, price in value.items():
            if not price.is_finite():
                raise ValueError(f"price for {name!r} is not a finite number")
            if price < 0:
                raise ValueError(f"price for {name!r} is negative")
            if price >= MAX_PRICE_USD:  # a typo (cents for dollars, a missing point), not a price
                raise ValueError(
                    f"price for {name!r} is ${price} per unit; prices of "
                    f"${MAX_PRICE_USD} or more are refused as a mistake"
                )
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # pydantic-settings passes its own env and dotenv sources; their parsed variables
        # (``env_vars``) are where PINGLASS_<NAME>_BASE_URL is found.
        assert isinstance(env_settings, EnvSettingsSource)  # noqa: S101
        assert isinstance(dotenv_settings, DotEnvSettingsSource)  # noqa: S101
        base_urls = _BaseUrlSource(settings_cls, env_settings, dotenv_settings)
        return (init_settings, env_settings, base_urls, dotenv_settings, _TomlSource(settings_cls))

    def provider_options(self, provider: str) -> dict[str, Any]:
        """Settings an adapter needs beyond its base URL (only the mock has any)."""
        if provider == "mock":
            return {
                "latency": self.mock_latency,
                "fail_rate": self.mock_fail_rate,
                "seed": self.mock_seed,
            }
        return {}

    def make_provider(self, name: str, client: httpx.AsyncClient) -> Provider:
        """The adapter for ``name`` with its configured base URL and options.

        Raises ``UsageError`` for an unknown provider or one missing from this build.
        """
        from pinglass.providers import get_provider_class

        cls = get_provider_class(name)
        return cls(client, base_url=self.base_url(name), options=self.provider_options(name))

    def base_url(self, provider: str) -> str | None:
        """The configured base URL override for ``provider``, if any."""
        return self.base_urls.get(provider) or None


class _TomlFile(BaseModel):
    """The accepted shape of ``pinglass.toml``: a typo is an error that names the key."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    mock_latency: float | None = None
    mock_fail_rate: float | None = None
    mock_seed: int | None = None
    poll_interval: float | None = None
    poll_timeout: float | None = None
    request_timeout: float | None = None
    max_download_mb: float | None = None
    download_timeout: float | None = None
    safety_checker: bool | None = None
    retry_failed: int | None = None
    identity_threshold: float | None = None
    no_identity: bool | None = None
    prices: dict[str, Decimal] | None = None
    subjects_dir: Path | None = None
    base_urls: dict[str, str] | None = None


class _BaseUrlSource(PydanticBaseSettingsSource):
    """``PINGLASS_<NAME>_BASE_URL`` variables (the environment over ``.env``) → ``base_urls``."""

    def __init__(
        self, settings_cls: type[BaseSettings], env: EnvSettingsSource, dotenv: DotEnvSettingsSource
    ) -> None:
        super().__init__(settings_cls)
        self._sources = (dotenv, env)

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # pragma: no cover - __call__ does the work

    def __call__(self) -> dict[str, Any]:
        found: dict[str, str] = {}
        for source in self._sources:  # later wins: the environment over .env
            for var, value in source.env_vars.items():
                name = var.lower().removeprefix("pinglass_").removesuffix("_base_url")
                if var.lower() == f"pinglass_{name}_base_url" and name in PROVIDERS and value:
                    found[name] = value
        return {"base_urls": found} if found else {}


class _TomlSource(PydanticBaseSettingsSource):
    """Reads ``pinglass.toml``, validating its keys strictly."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # pragma: no cover - __call__ does the work

    def __call__(self) -> dict[str, Any]:
        path = config_file()
        if path is None:
            return {}
        return read_config_toml(path)


def read_config_toml(path: Path) -> dict[str, Any]:
    """Parse and check a ``pinglass.toml``; errors name the file (and line for syntax)."""
    try:
        raw = tomllib.loads(read_text_file(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {_toml_error_text(exc)}") from None
    except RecursionError:  # tomllib recurses once per level of nested arrays or tables
        raise ConfigError(f"{path}: nested too deeply to be a pinglass.toml") from None
    try:
        parsed = _TomlFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"{path}: {where}: {err['msg']}") from None
    out = parsed.model_dump(exclude_none=True)
    for name, value in out.items():  # check bounds here so the error names this file
        info = Settings.model_fields[name]
        kind: Any = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        try:
            TypeAdapter(kind).validate_python(value)
        except ValidationError as exc:
            raise ConfigError(f"{path}: {name}: {exc.errors()[0]['msg']}") from None
    if "prices" in out:
        try:
            Settings.check_prices(out["prices"])
        except ValueError as exc:
            raise ConfigError(f"{path}: prices: {exc}") from None
    for provider in parsed.base_urls or {}:
        if provider not in PROVIDERS:
            raise ConfigError(f"{path}: base_urls.{provider}: unknown provider")
    return out


def _toml_error_text(exc: tomllib.TOMLDecodeError) -> str:
    """``line L, column C: message`` from a TOMLDecodeError (3.11 has no .lineno)."""
    msg = str(exc)
    m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
    if m:
        return f"line {m.group(1)}, column {m.group(2)}: {msg[: m.start()].strip()}"
    return msg


def read_text_file(path: Path, *, limit: int = 1_000_000) -> str:
    """The UTF-8 text of the regular file at ``path``; anything else is a ``ConfigError``.

    A FIFO, device or folder is refused without reading it (reading a FIFO would block).
    """
    try:
        data = read_regular_file(path, limit=limit)
    except FileTooLarge:
        raise ConfigError(f"{path}: larger than {limit} bytes; not a settings file") from None
    except NotRegularFile:
        raise ConfigError(f"{path}: not a regular file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None


def check_env_file(env_file: Path = Path(".env")) -> None:
    """Refuse a ``.env`` that is not a readable UTF-8 regular file (``ConfigError``, exit 2)."""
    if os.path.lexists(env_file):
        read_text_file(env_file)


def load_settings(**overrides: Any) -> Settings:
    """Build :class:`Settings`, turning validation errors into one-line ``ConfigError``s."""
    check_env_file()
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        field, *inner = [str(p) for p in err["loc"]] or [""]
        name = f"PINGLASS_{field.upper()}" if field else "settings"
        where = "".join(f"{part}: " for part in inner)  # a [prices] entry keeps its spelling
        message = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name}: {where}{message}{_origin(name)}") from None


def _origin(name: str) -> str:
    """Where a bad ``PINGLASS_*`` value came from, so the user knows which file to open."""
    if name in os.environ:
        return " (set in the environment)"
    env_file = Path(".env")
    if env_file.is_file() and name in dotenv_values(env_file):
        return f" (set in {env_file.resolve()})"
    return ""


def merged_environ(env_file: Path | None = Path(".env")) -> dict[str, str]:
    """The environment over ``.env``: the one source keys are read from."""
    merged: dict[str, str] = {}
    if env_file is not None:
        check_env_file(env_file)
    if env_file is not None and env_file.is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ)
    return merged


_NUMBERED = re.compile(r"^(?P<base>[A-Z0-9_]+?)_(?P<n>\d+)$")


def collect_keys(environ: Mapping[str, str]) -> dict[str, list[ApiKey]]:
    """Every provider's keys from ``NAME`` and ``NAME_1``…``NAME_N``, in that order.

    Duplicated values are kept once; empty values are ignored. Providers with no key are absent.
    """
    keys: dict[str, list[ApiKey]] = {}
    for provider, entry in PROVIDERS.items():
        found: list[tuple[int, int, str, str]] = []
        for rank, base in enumerate(entry.key_env_vars):
            for var, value in environ.items():
                if var == base:
                    found.append((rank, 0, var, value))
                    continue
                m = _NUMBERED.match(var)
                if m and m.group("base") == base:
                    found.append((rank, int(m.group("n")), var, value))
        seen: set[str] = set()
        for _, _, var, value in sorted(found):
            value = value.strip()
            if value and value not in seen:
                seen.add(value)
                keys.setdefault(provider, []).append(ApiKey.of(value, var))
    return keys
