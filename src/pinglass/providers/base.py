"""The provider contract: what every adapter implements and the values it exchanges.

An adapter translates and does nothing else: it builds the request, reads the response and maps
errors into :mod:`pinglass.errors`. It never sleeps, retries, rotates keys, touches the budget or
prints; the runner owns all of that. The billable create (:meth:`Provider.submit`) is separate
from the idempotent wait (:meth:`Provider.poll`) so the runner can journal the remote id between
them and never pay twice.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pinglass.providers import _http

if TYPE_CHECKING:
    import httpx

    from pinglass.secrets import ApiKey

__all__ = [
    "Finished",
    "GenerationRequest",
    "ImageData",
    "KeyStatus",
    "Pending",
    "Provider",
    "Reference",
    "ReferenceSupport",
]

ReferenceSupport = Literal["none", "one", "many"]


@dataclass(frozen=True, slots=True)
class Reference:
    """A prepared reference photo as it may leave the machine: a face crop, EXIF stripped."""

    name: str
    data: bytes = field(repr=False)
    mime: str = "image/jpeg"

    @property
    def sha256(self) -> str:
        """Hex digest of the bytes; the key for upload-once caches."""
        return hashlib.sha256(self.data).hexdigest()

    def data_uri(self) -> str:
        """The reference as a ``data:`` URI."""
        return _http.data_uri(self.data, self.mime)


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """One image to make. ``model`` is the vendor's id, resolved from the catalog short name.

    ``params`` carries model-specific inputs from the catalog and the preset (already merged);
    an adapter reads the ones it knows and ignores the rest.
    """

    prompt: str
    model: str
    references: tuple[Reference, ...] = ()
    negative_prompt: str = ""
    width: int = 1024
    height: int = 1024
    seed: int | None = None
    guidance: float | None = None
    steps: int | None = None
    identity_weight: float | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def aspect_ratio(self) -> str:
        """``width:height`` reduced to the nearest ratio most APIs accept (``3:4``)."""
        return _http.nearest_aspect_ratio(self.width, self.height)

    def fingerprint(self) -> str:
        """A hash of everything that decides the output; journaled with each create."""
        h = hashlib.sha256()
        for part in (
            self.model,
            self.prompt,
            self.negative_prompt,
            f"{self.width}x{self.height}",
            str(self.seed),
            str(self.guidance),
            str(self.steps),
            str(self.identity_weight),
            repr(sorted(self.params.items())),
            *(r.sha256 for r in self.references),
        ):
            h.update(part.encode())
            h.update(b"\0")
        return h.hexdigest()


@dataclass(frozen=True, slots=True)
class ImageData:
    """One output image: bytes already in hand, or a URL to download at once."""

    data: bytes | None = field(default=None, repr=False)
    url: str | None = None
    mime: str | None = None

    def __post_init__(self) -> None:
        if (self.data is None) == (self.url is None):
            raise ValueError("ImageData needs exactly one of data or url")


@dataclass(frozen=True, slots=True)
class Pending:
    """Accepted and still running; the runner journals ``remote_id`` before polling."""

    remote_id: str


@dataclass(frozen=True, slots=True)
class Finished:
    """Done: the images, and what the provider billed where it says (USD)."""

    images: tuple[ImageData, ...]
    remote_id: str | None = None
    billed_usd: Decimal | None = None
    seed: int | None = None


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """The result of a free key probe. ``probed`` is false where no free probe exists."""

    ok: bool
    error: str | None = None
    balance: str | None = None
    probed: bool = True


class Provider(ABC):
    """One hosted image API. Subclasses set the class attributes and implement the operations.

    An instance lives for one run and shares the run's one ``httpx.AsyncClient``.
    """

    name: ClassVar[str]
    """Provider name as users type it (``replicate``)."""
    key_env_vars: ClassVar[tuple[str, ...]]
    """The vendor's own key variable names, most preferred first."""
    default_base_url: ClassVar[str]
    """API base as PROVIDERS.md lists it; ``PINGLASS_<NAME>_BASE_URL`` replaces it."""
    can_cancel: ClassVar[bool] = False
    """True when :meth:`cancel` can stop a remote job."""
    can_reattach: ClassVar[bool] = False
    """True when an ambiguous create can be found again (:meth:`find_submitted`)."""
    bills_failed_jobs: ClassVar[bool] = False
    """True when a job the provider accepted and then failed may still be charged (compute
    time): the runner then counts its reservation as spent instead of releasing it."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.options: Mapping[str, Any] = dict(options or {})
        """Provider-specific settings (the mock's latency, fail rate and seed)."""

    @abstractmethod
    async def submit(self, req: GenerationRequest, key: ApiKey) -> Pending | Finished:
        """Send the billable create call once. Never retries, never sleeps.

        Raises a :class:`pinglass.errors.ProviderError` subclass.
        """

    async def poll(self, remote_id: str, key: ApiKey) -> Pending | Finished:
        """Check a job created earlier; idempotent and safe to retry."""
        raise NotImplementedError(f"{self.name} answers synchronously")

    @abstractmethod
    async def probe(self, key: ApiKey) -> KeyStatus:
        """Check a key with a request that costs nothing (never creates a job)."""

    async def cancel(self, remote_id: str, key: ApiKey) -> bool:
        """Ask the provider to stop a remote job; True if it accepted. Default: cannot."""
        return False

    async def find_submitted(
        self, req: GenerationRequest, key: ApiKey, *, since: float
    ) -> Pending | Finished | None:
        """After an ambiguous create, find the job it may have made (``since``: epoch seconds).

        Returns ``None`` when nothing matches; providers without a way to list jobs return
        ``None`` and the runner reports the image as possibly billed.
        """
        return None

    async def download(self, image: ImageData, key: ApiKey, *, max_bytes: int) -> ImageData:
        """Return ``image`` with its bytes in hand, fetching its URL (idempotent).

        ``data:`` URIs are decoded locally. Raises ``InvalidRequest`` over ``max_bytes``.
        """
        if image.data is not None:
            return image
        assert image.url is not None  # noqa: S101 - ImageData guarantees one of them
        if image.url.startswith("data:"):
            uri_mime, uri_data = _http.decode_data_uri(image.url, provider=self.name)
            return ImageData(data=uri_data, mime=uri_mime)
        data, mime = await _http.fetch_bytes(
            self.client,
            image.url,
            provider=self.name,
            headers=self.download_headers(image.url, key),
            max_bytes=max_bytes,
            allow_http=self.base_url.startswith("http://"),
        )
        return ImageData(data=data, mime=mime or image.mime)

    def download_headers(self, url: str, key: ApiKey) -> dict[str, str]:
        """Headers for fetching an output URL; default none (CDN URLs are pre-signed)."""
        return {}
