"""The trainer contract: what the fal, Replicate and mock trainers implement.

A trainer translates and does nothing else, like a provider adapter: it never sleeps, retries,
prints or touches the budget. The billable create (:meth:`Trainer.create`) is separate from the
free preparation before it (:meth:`Trainer.prepare`: uploads, the destination model) and from the
idempotent wait after it (:meth:`Trainer.poll`), so the caller can journal the intent before the
create and the remote id before the first poll. After an ambiguous create (the answer was lost)
:meth:`Trainer.find` looks the training up instead of sending it again.

HTTP goes through :func:`pinglass.providers._http.send`, the one place where httpx errors become
the taxonomy.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pinglass.providers import _common, _http

if TYPE_CHECKING:
    import httpx

    from pinglass.secrets import ApiKey
    from pinglass.training.catalog import TrainerEntry

__all__ = ["CostSource", "Prepared", "Trainer", "TrainingSpec", "TrainingState", "TrainingStatus"]

TrainingState = Literal["queued", "running", "succeeded", "failed", "canceled"]
CostSource = Literal["provider", "computed", "catalog"]


@dataclass(frozen=True, slots=True)
class TrainingSpec:
    """One training to run: the zip of face crops, the trigger word and the step count."""

    name: str
    trigger: str
    steps: int
    dataset: bytes = field(repr=False)
    """The ``.zip`` of square face crops, built in memory."""
    images: int = 0
    """How many crops the zip holds."""

    @property
    def dataset_sha256(self) -> str:
        """Hex digest of the zip: the training's fingerprint."""
        return hashlib.sha256(self.dataset).hexdigest()


Prepared = Mapping[str, str]
"""What free preparation produced for the create (an upload URL, the destination model, the
trainer version); journaled with the intent so a re-run can look the training up."""


@dataclass(frozen=True, slots=True)
class TrainingStatus:
    """A training's state as the provider reports it now."""

    state: TrainingState
    queue_position: int | None = None
    """Place in the provider's queue while ``queued`` (fal)."""
    log: str | None = None
    """The newest log line, where the provider gives logs."""
    lora_url: str | None = None
    """The LoRA weights (fal ``diffusers_lora_file.url``; Replicate ``output.weights``)."""
    model_version: str | None = None
    """The trained model version to generate with (Replicate ``output.version``)."""
    billed_usd: Decimal | None = None
    """What the training cost, when known (USD)."""
    cost_source: CostSource = "catalog"
    """``provider`` (money reported) · ``computed`` (reported seconds x rate) · ``catalog``."""
    error: str | None = None
    """The vendor's reason for a failed or canceled training."""
    charged: bool | None = None
    """Whether a training that did not succeed was charged; ``None``: the trainer's rule."""

    @property
    def done(self) -> bool:
        """True once the training has ended (succeeded, failed or canceled)."""
        return self.state in ("succeeded", "failed", "canceled")


class Trainer(ABC):
    """One provider's fine-tuning API. An instance lives for one ``train`` call."""

    provider: ClassVar[str]
    """Provider name (``fal``)."""
    default_base_url: ClassVar[str]
    """API base; ``PINGLASS_<PROVIDER>_BASE_URL`` replaces it."""
    bills_failures: ClassVar[bool] = False
    """True when a failed training may still be charged (GPU time used)."""

    def __init__(
        self,
        client: httpx.AsyncClient | None,
        entry: TrainerEntry,
        *,
        base_url: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.entry = entry
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.options: Mapping[str, Any] = dict(options or {})

    @abstractmethod
    async def prepare(self, spec: TrainingSpec, key: ApiKey) -> dict[str, str]:
        """Free, idempotent calls before the create (upload, destination model, version)."""

    @abstractmethod
    async def create(self, spec: TrainingSpec, prepared: Prepared, key: ApiKey) -> str:
        """Send the billable create once and return the remote id. Never retries.

        Raises a :class:`pinglass.errors.ProviderError`; ``Transient(maybe_accepted=True)``
        means the training may exist: call :meth:`find`, never ``create`` again.
        """

    @abstractmethod
    async def poll(self, remote_id: str, key: ApiKey) -> TrainingStatus:
        """The training's status now (idempotent)."""

    @abstractmethod
    async def find(
        self, spec: TrainingSpec, prepared: Prepared, key: ApiKey, *, since: float
    ) -> str | None:
        """After an ambiguous create, the remote id of the training it made, if any.

        ``since`` is when the create was sent (epoch seconds). ``None`` when nothing matches.
        """

    async def cancel(self, remote_id: str, key: ApiKey) -> None:  # noqa: B027 - optional
        """Ask the provider to stop a training (default: cannot)."""

    def auth_headers(self, key: ApiKey) -> dict[str, str]:
        """``Authorization: Bearer <key>`` unless a trainer overrides it."""
        return _common.bearer(key)

    async def call(self, method: str, url: str, key: ApiKey, **kwargs: Any) -> Any:
        """One authorised request through ``_http.send``; returns the JSON body."""
        assert self.client is not None  # noqa: S101 - every network trainer gets the client
        headers = {**self.auth_headers(key), **kwargs.pop("headers", {})}
        response = await _http.send(
            self.client,
            method,
            url,
            provider=self.provider,
            model=self.entry.vendor_id,
            refine=self._refine,
            headers=headers,
            **kwargs,
        )
        return _http.json_of(response, provider=self.provider, model=self.entry.vendor_id)

    def _refine(self, response: httpx.Response, error: Any) -> Any:
        quota = ("insufficient credit", "exhausted balance", "user is locked")
        return _common.refine_by_text(response, error, quota=quota)
