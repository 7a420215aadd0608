"""API keys as value objects, masking, and the one redaction filter.

A key's raw value is read in exactly one place, :meth:`ApiKey.header_value`, called by adapters
when they build the auth header. Everything else sees :meth:`ApiKey.mask` (``r8_…3f9a``).

Every key that is constructed is remembered (by value, in this process only) so that
:func:`redact` can scrub it from any text: provider error bodies that echo the Authorization
header, exception messages, log lines, report and journal fields, ``--json`` output.

:func:`redact` remembers what it returned for short strings (a report row, an error message), so
a string that is redacted again (report.json is rewritten while a run goes) costs a dictionary
look-up. The memory is forgotten whenever a new key becomes known, since the new key may hide in
a string that was clean before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pydantic is imported where a key is built, keeping `pinglass --help` light
    from pydantic import SecretStr

__all__ = ["ApiKey", "mask", "redact", "redact_headers"]

# Values of every ApiKey made in this process, longest first when redacting.
_KNOWN: set[str] = set()
# Shorter known values are not searched for in text: replacing "a" or "null" everywhere would
# corrupt every report and JSON document, and a value that short guards nothing anyway.
_MIN_REDACT = 8

# redact() of strings up to _CACHE_CHARS long, remembered; at most _CACHE_SIZE of them (then
# forgotten all at once: rows of one run fit, and the bound keeps memory flat).
_CACHE: dict[str, str] = {}
_CACHE_CHARS = 8192
_CACHE_SIZE = 8192

# Credentials that look like keys even if we never loaded them (echoed Authorization headers).
_PATTERNS = [
    # The credential must hold a digit or be long, so prose ("API key provided") is left alone.
    re.compile(
        r"(?i)\b(bearer|key|token|basic)\s+"
        r"(?=[A-Za-z0-9._~+/=:-]*\d|[A-Za-z0-9._~+/=:-]{20})[A-Za-z0-9._~+/=:-]{8,}"
    ),
    re.compile(r"\b(?:sk|pk|r8|hf|nvapi|fw|SG|AIza)[-_][A-Za-z0-9._-]{8,}"),
    re.compile(r"\bAIza[A-Za-z0-9_-]{20,}"),
    re.compile(r"(?i)([?&](?:key|api_key|token)=)[^&\s\"']+"),
]
_SECRET_HEADERS = frozenset(
    {"authorization", "x-api-key", "x-goog-api-key", "cookie", "proxy-authorization"}
)


def mask(value: str) -> str:
    """Return ``value`` shown as a short prefix and its last four characters (``r8_…3f9a``).

    Short values are fully hidden as ``***``; the prefix stops at the first ``_`` or ``-``
    boundary so a vendor prefix (``sk-``, ``r8_``) is kept but no secret characters are.
    """
    if len(value) < 12:
        return "***"
    m = re.match(r"^([A-Za-z0-9]{1,6}[-_])", value)
    prefix = m.group(1) if m else ""
    return f"{prefix}…{value[-4:]}"


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One provider key and the variable it came from (``REPLICATE_API_TOKEN_2``)."""

    secret: SecretStr = field(repr=False)
    source: str = ""

    def __post_init__(self) -> None:
        value = self.secret.get_secret_value()
        if value and value not in _KNOWN:
            _KNOWN.add(value)
            _CACHE.clear()  # a string redacted before may hold this new key

    @classmethod
    def of(cls, value: str, source: str = "") -> ApiKey:
        """Build a key from a plain string (settings, tests)."""
        from pydantic import SecretStr

        return cls(SecretStr(value.strip()), source)

    def header_value(self) -> str:
        """The raw key, for an auth header. The only place the secret is read."""
        return self.secret.get_secret_value()

    def mask(self) -> str:
        """The key as it may be shown: ``r8_…3f9a``."""
        return mask(self.secret.get_secret_value())

    @property
    def fingerprint(self) -> str:
        """A stable, non-secret id for this key within a run: source plus mask."""
        return f"{self.source}:{self.mask()}" if self.source else self.mask()

    def __repr__(self) -> str:
        return f"ApiKey({self.mask()!r}, source={self.source!r})"

    def __str__(self) -> str:
        return self.mask()


def redact(text: str) -> str:
    """Return ``text`` with every known key, and anything shaped like a credential, masked.

    Pure for a given set of known keys; a short string seen before is answered from memory.
    """
    if not text:
        return text
    if len(text) > _CACHE_CHARS:
        return _redact(text)
    done = _CACHE.get(text)
    if done is None:
        done = _redact(text)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[text] = done
    return done


def _redact(text: str) -> str:
    for value in sorted(_KNOWN, key=len, reverse=True):
        if len(value) >= _MIN_REDACT and value in text:
            text = text.replace(value, mask(value))
    for pattern in _PATTERNS:
        text = pattern.sub(_mask_match, text)
    return text


def _mask_match(m: re.Match[str]) -> str:
    whole = m.group(0)
    if m.re.groups and m.group(1) and whole.startswith(m.group(1)) and len(whole) > len(m.group(1)):
        head = m.group(1)
        rest = whole[len(head) :]
        sep = rest[: len(rest) - len(rest.lstrip())]
        body = rest.strip()
        return f"{head}{sep}{mask(body) if len(body) >= 12 else '…'}"
    return mask(whole)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Return a copy of ``headers`` safe to log: credential headers masked, the rest redacted."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        out[name] = mask(value) if name.lower() in _SECRET_HEADERS else redact(value)
    return out
