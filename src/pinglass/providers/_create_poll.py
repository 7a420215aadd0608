"""Shared shape: create a remote job once, then poll its status until it finishes.

:class:`CreatePollProvider` owns the state machine; a subclass (Replicate, the fal queue, …)
describes its wire format with these hooks (names are stable):

- ``create_request(req, key) -> CreateCall`` (async, **required**): method, URL and httpx
  arguments of the billable create. Async so it can resolve a model version or upload
  references first (those calls are free and idempotent).
- ``remote_id_of(body) -> str`` (**required**): the job id in a create response.
- ``status_url(remote_id) -> str`` (**required**): where ``poll`` GETs the job's status.
- ``parse_status(body) -> State`` (**required**): ``"pending"``, ``"succeeded"``, ``"failed"``
  or ``"canceled"`` from a create or status body.
- ``parse_output(body, remote_id, key) -> Finished`` (async, **required**): the images of a
  succeeded job (may fetch a separate result URL).
- ``failure(body, remote_id) -> ProviderError``: the error for a failed or canceled job
  (default: ``ContentRejected`` when the error text names a safety filter, ``InvalidRequest``
  when it names a bad input, else ``RemoteJobFailed(billed=bills_failed_jobs)``; ``Transient``
  for canceled).
- ``probe_request(url, key)``: helper for ``probe``: a free GET, failures reported as ``KeyStatus``.
- ``auth_headers(key)``, ``refine(response, error)``, ``quota_signals``, ``safety_signals``: as in
  :mod:`pinglass.providers._openai_images`.

``submit`` sends the create once and returns :class:`Pending` (journal the id, then ``poll``) or
:class:`Finished` when the provider answered synchronously. ``poll`` is idempotent.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pinglass.errors import (
    ContentRejected,
    InvalidRequest,
    ProviderError,
    RemoteJobFailed,
    Transient,
)
from pinglass.providers import _common, _http
from pinglass.providers.base import Finished, KeyStatus, Pending, Provider

if TYPE_CHECKING:
    import httpx

    from pinglass.providers.base import GenerationRequest
    from pinglass.secrets import ApiKey

__all__ = ["CreateCall", "CreatePollProvider", "State"]

State = Literal["pending", "succeeded", "failed", "canceled"]


@dataclass(frozen=True, slots=True)
class CreateCall:
    """The billable create request: ``client.request(method, url, **kwargs)``."""

    url: str
    method: str = "POST"
    kwargs: dict[str, Any] = field(default_factory=dict)


class CreatePollProvider(Provider):
    """Base for asynchronous providers: create once, poll by remote id until done."""

    can_reattach: ClassVar[bool] = False
    quota_signals: ClassVar[tuple[str, ...]] = ("insufficient credit", "exhausted balance")
    safety_signals: ClassVar[tuple[str, ...]] = ("nsfw", "safety", "content_policy")
    invalid_signals: ClassVar[tuple[str, ...]] = (
        "invalid",
        "validation",
        "must be",
        "not permitted",
    )
    bills_failed_jobs: ClassVar[bool] = True
    """True when the provider may charge for a job that ends ``failed`` (compute time).

    It becomes :attr:`RemoteJobFailed.billed` for a failure that is neither a safety refusal nor
    a bad input. Where the provider documents that failures are not billed, set it False: the
    runner may then re-create such a job; a billed one is final (making it again could pay
    twice).
    """

    @abstractmethod
    async def create_request(self, req: GenerationRequest, key: ApiKey) -> CreateCall:
        """The create call for ``req`` (may do free preparatory calls first)."""

    @abstractmethod
    def remote_id_of(self, body: Any) -> str:
        """The job id in a create response body."""

    @abstractmethod
    def status_url(self, remote_id: str) -> str:
        """The URL ``poll`` reads the job's status from."""

    @abstractmethod
    def parse_status(self, body: Any) -> State:
        """The job's state from a create or status body."""

    @abstractmethod
    async def parse_output(self, body: Any, remote_id: str, key: ApiKey) -> Finished:
        """The finished images of a succeeded job."""

    def failure(self, body: Any, remote_id: str) -> ProviderError:
        """The error for a failed or canceled job, read from its body."""
        text = ""
        if isinstance(body, dict):
            text = str(body.get("error") or body.get("detail") or "")
        message = f"job {remote_id} {self.parse_status(body)}: {text or 'no details'}"
        if self.parse_status(body) == "canceled":
            return Transient(message, provider=self.name, maybe_accepted=False)
        lowered = text.lower()
        # status_code 200: the provider answered that a job it had accepted failed, which
        # tells the runner this job ran (and may be billed where bills_failed_jobs).
        if any(word in lowered for word in self.safety_signals):
            return ContentRejected(message, provider=self.name, status_code=200)
        if any(word in lowered for word in self.invalid_signals):
            return InvalidRequest(message, provider=self.name, status_code=200)
        return RemoteJobFailed(message, provider=self.name, billed=self.bills_failed_jobs)

    def auth_headers(self, key: ApiKey) -> dict[str, str]:
        """Auth headers; ``Authorization: Bearer <key>`` unless overridden."""
        return _common.bearer(key)

    def refine(self, response: httpx.Response, error: ProviderError) -> ProviderError:
        """Map body signals (quota, safety) onto the generic status error."""
        return _common.refine_by_text(
            response, error, quota=self.quota_signals, safety=self.safety_signals
        )

    async def request_json(
        self, method: str, url: str, key: ApiKey, *, model: str | None = None, **kwargs: Any
    ) -> Any:
        """Send one authorised request through ``_http.send`` and return its JSON body."""
        headers = {**self.auth_headers(key), **kwargs.pop("headers", {})}
        response = await _http.send(
            self.client,
            method,
            url,
            provider=self.name,
            model=model,
            refine=self.refine,
            headers=headers,
            **kwargs,
        )
        return _http.json_of(response, provider=self.name, model=model)

    async def probe_request(self, url: str, key: ApiKey, **kwargs: Any) -> KeyStatus:
        """GET a free endpoint with ``key``; a refusal or failure is reported, never raised."""
        try:
            await self.request_json("GET", url, key, **kwargs)
        except ProviderError as exc:
            return KeyStatus(ok=False, error=str(exc))
        return KeyStatus(ok=True)

    async def submit(self, req: GenerationRequest, key: ApiKey) -> Pending | Finished:
        """Send the create once; ``Pending`` to poll, or ``Finished`` if it is already done."""
        call = await self.create_request(req, key)
        body = await self.request_json(call.method, call.url, key, model=req.model, **call.kwargs)
        remote_id = self.remote_id_of(body)
        return await self.advance(body, remote_id, key)

    async def poll(self, remote_id: str, key: ApiKey) -> Pending | Finished:
        """Read the job's status once (idempotent); ``Finished`` when it has succeeded."""
        body = await self.request_json("GET", self.status_url(remote_id), key)
        return await self.advance(body, remote_id, key)

    async def advance(self, body: Any, remote_id: str, key: ApiKey) -> Pending | Finished:
        """One step of the state machine for a create or status ``body``."""
        state = self.parse_status(body)
        if state == "pending":
            return Pending(remote_id)
        if state == "succeeded":
            return await self.parse_output(body, remote_id, key)
        raise self.failure(body, remote_id)
