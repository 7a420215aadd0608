"""Shared shape: a create that answers now, or accepts a job to poll by id until it finishes.

:class:`CreatePollProvider` sends the billable create once and reads each response with
:meth:`~CreatePollProvider.read`: the images (:class:`Finished`), or the remote id of a job
still running (:class:`Pending`), which :meth:`~CreatePollProvider.poll` reads again later. A
subclass (Replicate, the fal queue, Fireworks, NVIDIA) describes its wire format with hooks
(names are stable):

- ``create_request(req, key) -> Call`` (async, **required**): method, URL and httpx arguments
  of the create. Async so it can resolve a model version or upload references first (those
  calls are free and idempotent).
- ``status_request(remote_id) -> Call``: the status read (default ``GET status_url(id)``).
- ``read(response, key, model=, remote_id=)``: a create or status response into ``Pending`` or
  ``Finished``. The default reads the JSON job-status body with the four hooks below; a
  provider that says "still running" with the HTTP status (NVIDIA's 202) or answers some models
  at once (Fireworks FLUX.1) overrides it.
- ``remote_id_of(body)``, ``status_url(remote_id)``, ``parse_status(body) -> State``
  (``"pending"``, ``"succeeded"``, ``"failed"``, ``"canceled"``) and ``parse_output(body,
  remote_id, key) -> Finished`` (async; may fetch a separate result URL): needed by the
  default ``read``.
- ``failure(body, remote_id) -> ProviderError``: the error for a failed or canceled job.
  Default: ``ContentRejected`` when the error text names a safety filter, ``InvalidRequest``
  when it names a bad input, else ``RemoteJobFailed(billed=bills_failed_jobs)``, canceled
  included (a canceled job is final: polling it again waits for nothing).

Auth, body-signal refinement and the probe come from :class:`~pinglass.providers.base.Provider`.
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
)
from pinglass.providers import _http
from pinglass.providers.base import Finished, Pending, Provider

if TYPE_CHECKING:
    import httpx

    from pinglass.providers.base import GenerationRequest
    from pinglass.secrets import ApiKey

__all__ = ["Call", "CreatePollProvider", "State"]

State = Literal["pending", "succeeded", "failed", "canceled"]


@dataclass(frozen=True, slots=True)
class Call:
    """One request to send: ``client.request(method, url, **kwargs)`` plus the auth header."""

    url: str
    method: str = "POST"
    kwargs: dict[str, Any] = field(default_factory=dict)


class CreatePollProvider(Provider):
    """Base for providers whose create may answer before the image exists."""

    quota_signals: ClassVar[tuple[str, ...]] = ("insufficient credit", "exhausted balance")
    safety_signals: ClassVar[tuple[str, ...]] = ("nsfw", "safety", "content_policy")
    invalid_signals: ClassVar[tuple[str, ...]] = (
        "invalid",
        "validation",
        "must be",
        "not permitted",
    )

    @abstractmethod
    async def create_request(self, req: GenerationRequest, key: ApiKey) -> Call:
        """The create call for ``req`` (may do free preparatory calls first)."""

    def status_request(self, remote_id: str) -> Call:
        """The status read for ``remote_id``; default ``GET status_url(remote_id)``."""
        return Call(self.status_url(remote_id), "GET")

    def remote_id_of(self, body: Any) -> str:
        """The job id in a create response body."""
        raise NotImplementedError

    def status_url(self, remote_id: str) -> str:
        """The URL the job's status is read from."""
        raise NotImplementedError

    def parse_status(self, body: Any) -> State:
        """The job's state from a create or status body."""
        raise NotImplementedError

    async def parse_output(self, body: Any, remote_id: str, key: ApiKey) -> Finished:
        """The finished images of a succeeded job."""
        raise NotImplementedError

    def failure(self, body: Any, remote_id: str) -> ProviderError:
        """The error for a failed or canceled job, read from its body."""
        text = ""
        if isinstance(body, dict):
            text = str(body.get("error") or body.get("detail") or "")
        message = f"job {remote_id} {self.parse_status(body)}: {text or 'no details'}"
        if self.parse_status(body) == "canceled":  # final: polling it again changes nothing
            return RemoteJobFailed(message, provider=self.name, billed=self.bills_failed_jobs)
        lowered = text.lower()
        # status_code 200: the provider answered that a job it had accepted failed, which
        # tells the runner this job ran (and may be billed where bills_failed_jobs).
        if any(word in lowered for word in self.safety_signals):
            return ContentRejected(message, provider=self.name, status_code=200)
        if any(word in lowered for word in self.invalid_signals):
            return InvalidRequest(message, provider=self.name, status_code=200)
        return RemoteJobFailed(message, provider=self.name, billed=self.bills_failed_jobs)

    async def submit(self, req: GenerationRequest, key: ApiKey) -> Pending | Finished:
        """Send the create once; ``Pending`` to poll, or ``Finished`` if it is already done."""
        call = await self.create_request(req, key)
        response = await self.send(call.method, call.url, key, model=req.model, **call.kwargs)
        return await self.read(response, key, model=req.model)

    async def poll(self, remote_id: str, key: ApiKey) -> Pending | Finished:
        """Read the job's status once (idempotent); ``Finished`` when it has succeeded."""
        call = self.status_request(remote_id)
        response = await self.send(call.method, call.url, key, **call.kwargs)
        return await self.read(response, key, remote_id=remote_id)

    async def read(
        self,
        response: httpx.Response,
        key: ApiKey,
        *,
        model: str | None = None,
        remote_id: str | None = None,
    ) -> Pending | Finished:
        """A create (``remote_id`` None) or status response as ``Pending`` or ``Finished``."""
        body = _http.json_of(response, provider=self.name, model=model)
        return await self.advance(body, remote_id or self.remote_id_of(body), key)

    async def advance(self, body: Any, remote_id: str, key: ApiKey) -> Pending | Finished:
        """One step of the state machine for a create or status ``body``."""
        state = self.parse_status(body)
        if state == "pending":
            return Pending(remote_id)
        if state == "succeeded":
            return await self.parse_output(body, remote_id, key)
        error = self.failure(body, remote_id)
        if error.request_id is None:  # the job's id goes with it (a create can answer failed)
            error.request_id = remote_id
        raise error
