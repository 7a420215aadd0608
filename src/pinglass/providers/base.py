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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pinglass.errors import ProviderError
from pinglass.providers import _common, _http

if TYPE_CHECKING:
    import httpx

    from pinglass.providers import ProviderSpec
    from pinglass.secrets import ApiKey

__all__ = [
    "Billed",
    "BilledUnit",
    "Finished",
    "GenerationRequest",
    "ImageData",
    "KeyStatus",
    "Pending",
    "Provider",
    "Reference",
    "fields_digest",
]


def fields_digest(*parts: str) -> str:
    """The sha256 (hex) of ``parts``, each followed by a NUL: the request's fingerprint and the
    job's keys. Journals keep these hashes, so the encoding must not change."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


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
    an adapter reads the ones it knows and ignores the rest. The last three fields are catalog
    facts about the model that travel with the request, so no adapter looks the catalog up.
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
    reference_field: str | None = None
    """The model input that carries the reference(s) (``main_face_image``); from the catalog."""
    many_references: bool = False
    """True when the model takes several references (the input is then a list)."""
    price_unit: str = "image"
    """The catalog's price unit (``image``, ``megapixel``, ``second``): Replicate tells its
    per-second community models, which run by version, from official ones by it."""
    timeout_s: float | None = None
    """The catalog model's read timeout for a synchronous create, seconds (None: the run's)."""
    deadline_s: int | None = None
    """Seconds the job may run at the provider before it is cancelled, which bounds a per-second
    model's cost (Replicate ``Cancel-After``); None: the adapter's own default."""
    safety_checker: bool = True
    """Ask the model to run its own safety checker where it has one (``--no-safety-checker``)."""

    @property
    def aspect_ratio(self) -> str:
        """``width:height`` reduced to the nearest ratio most APIs accept (``3:4``)."""
        return _http.nearest_aspect_ratio(self.width, self.height)

    def fingerprint(self) -> str:
        """A hash of everything that decides the output; journaled with each create."""
        return fields_digest(
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
        )


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


BilledUnit = Literal["usd", "second", "image", "megapixel"]


@dataclass(frozen=True, slots=True)
class Billed:
    """What the provider reported charging for one job: money, or a quantity of a priced unit.

    ``usd`` is money the vendor reported. ``second``, ``image`` and ``megapixel`` are quantities
    (hardware seconds, output images or megapixels) that the runner prices at the rate of the
    same catalog entry the estimate used, ``[prices]`` overrides included.
    """

    amount: Decimal
    unit: BilledUnit


@dataclass(frozen=True, slots=True)
class Finished:
    """Done: the images, and what the provider billed where its response says."""

    images: tuple[ImageData, ...]
    remote_id: str | None = None
    billed: Billed | None = None
    seed: int | None = None
    filtered: str | None = None
    """Set when the provider's safety checker flagged the output it returned (and billed): why.

    The runner counts the cost, keeps the image under ``filtered/`` and never delivers it as the
    portrait (docs/providers.md, Billing rules)."""


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """The result of a free key probe. ``probed`` is false where no free probe exists."""

    ok: bool
    error: str | None = None
    balance: str | None = None
    probed: bool = True


class Provider(ABC):
    """One hosted image API. Subclasses name their spec and implement the operations.

    An instance lives for one run and shares the run's one ``httpx.AsyncClient``. Every request
    goes through :meth:`send`, which applies the key (:meth:`auth_headers`), maps a failed
    status into the taxonomy and lets the adapter refine it from the body (:meth:`refine`).
    """

    spec: ClassVar[ProviderSpec]
    """The provider's declaration in :data:`pinglass.providers.PROVIDERS`; the five attributes
    below are copied from it when the subclass is created."""
    name: ClassVar[str]
    """Provider name as users type it (``replicate``)."""
    key_env_vars: ClassVar[tuple[str, ...]]
    """The vendor's own key variable names, most preferred first."""
    default_base_url: ClassVar[str]
    """The API base; ``PINGLASS_<NAME>_BASE_URL`` replaces it."""
    bills_failed_jobs: ClassVar[bool]
    """True when a job the provider accepted and then failed may still be charged."""
    can_poll: ClassVar[bool]
    """True when :meth:`submit` may return :class:`Pending` and :meth:`poll` reads it."""
    can_cancel: ClassVar[bool] = False
    """True when :meth:`cancel` can stop a remote job."""
    can_reattach: ClassVar[bool] = False
    """True when an ambiguous create can be found again (:meth:`find_submitted`)."""

    auth_header: ClassVar[str] = "Authorization"
    """The header that carries the key."""
    auth_scheme: ClassVar[str] = "Bearer"
    """Word before the key (``Bearer``, fal's ``Key``); empty: the header is the bare key."""
    quota_signals: ClassVar[tuple[str, ...]] = ()
    """Body words that turn a failed response into ``QuotaError`` (see :meth:`refine`)."""
    safety_signals: ClassVar[tuple[str, ...]] = ()
    """Body words that turn a failed response into ``ContentRejected``."""
    probe_path: ClassVar[str | None] = None
    """A free, authenticated ``GET`` under ``base_url`` checking a key; ``None``: no free probe."""
    generic_fields: ClassVar[Mapping[str, str]] = {}
    """Optional request fields (``seed``, ``steps``, ``guidance``, ``negative_prompt``,
    ``identity_weight``) → this API's input names; see :meth:`generic_inputs`."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("spec")
        if spec is not None:
            cls.name = spec.name
            cls.key_env_vars = spec.key_env_vars
            cls.default_base_url = spec.base_url
            cls.bills_failed_jobs = spec.bills_failed_jobs
            cls.can_poll = spec.can_poll

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

    async def probe(self, key: ApiKey) -> KeyStatus:
        """Check a key with a request that costs nothing (never creates a job).

        Default: ``GET {base_url}{probe_path}``; without a ``probe_path``, "no free probe".
        """
        if self.probe_path is None:
            return KeyStatus(ok=False, probed=False, error="no free probe")
        return await self.probe_request(self.base_url + self.probe_path, key)

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

    # -- the request funnel -------------------------------------------------------------

    def auth_headers(self, key: ApiKey) -> dict[str, str]:
        """The header carrying ``key`` (:attr:`auth_header`, :attr:`auth_scheme`)."""
        if self.auth_scheme:
            return _common.bearer(key, self.auth_scheme, header=self.auth_header)
        return {self.auth_header: key.header_value()}

    def refine(self, response: httpx.Response, error: ProviderError) -> ProviderError:
        """A more precise error read from a failed response's body; default: the signal words."""
        if not (self.quota_signals or self.safety_signals):
            return error
        return _common.refine_by_text(
            response, error, quota=self.quota_signals, safety=self.safety_signals
        )

    async def send(
        self, method: str, url: str, key: ApiKey, *, model: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send one authorised request through :func:`_http.send`; a success response.

        ``headers`` are added to the auth header; other keyword arguments go to httpx.
        Raises a ``ProviderError`` (refined by :meth:`refine`).
        """
        headers = {**self.auth_headers(key), **kwargs.pop("headers", {})}
        return await _http.send(
            self.client,
            method,
            url,
            provider=self.name,
            model=model,
            refine=self.refine,
            headers=headers,
            **kwargs,
        )

    async def request_json(
        self, method: str, url: str, key: ApiKey, *, model: str | None = None, **kwargs: Any
    ) -> Any:
        """:meth:`send` and return the JSON body (a non-JSON success is ``InvalidRequest``)."""
        response = await self.send(method, url, key, model=model, **kwargs)
        return _http.json_of(response, provider=self.name, model=model)

    async def probe_request(
        self,
        url: str,
        key: ApiKey,
        *,
        balance: Callable[[Any], str | None] | None = None,
        **kwargs: Any,
    ) -> KeyStatus:
        """``GET url`` with ``key``: refused or failing keys are reported, never raised.

        ``balance`` reads the remaining credit from the JSON body where the API tells it.
        """
        try:
            body = await self.request_json("GET", url, key, **kwargs)
        except ProviderError as exc:
            return KeyStatus(ok=False, error=str(exc))
        return KeyStatus(ok=True, balance=balance(body) if balance is not None else None)

    def generic_inputs(self, req: GenerationRequest) -> dict[str, Any]:
        """The request's optional generic fields under this API's names (:attr:`generic_fields`).

        Unset fields (``None``, an empty negative prompt) are left out.
        """
        out: dict[str, Any] = {}
        for attr, input_name in self.generic_fields.items():
            value = getattr(req, attr)
            if value is not None and value != "":
                out[input_name] = value
        return out

    # -- outputs ------------------------------------------------------------------------

    async def download(
        self, image: ImageData, key: ApiKey, *, max_bytes: int, deadline: float | None = None
    ) -> ImageData:
        """Return ``image`` with its bytes in hand, fetching its URL (idempotent).

        ``data:`` URIs are decoded locally. Raises ``InvalidRequest`` over ``max_bytes`` and
        ``Transient`` when the fetch takes longer than ``deadline`` seconds.
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
            deadline=deadline,
        )
        return ImageData(data=data, mime=mime or image.mime)

    def download_headers(self, url: str, key: ApiKey) -> dict[str, str]:
        """Headers for fetching an output URL; default none (CDN URLs are pre-signed)."""
        return {}
