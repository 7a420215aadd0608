"""Replicate: create a prediction (``Prefer: wait``), then poll it (docs/providers.md).

Official models (per-image price) post to ``/models/{owner}/{name}/predictions``. Community
models (per-second hardware price) need a version: it is resolved once per run from
``GET /models/{owner}/{name}``, and the inputs are checked against that version's
``openapi_schema``. References are uploaded once per run through ``POST /files`` and the
``urls.get`` is reused by every prediction. Outputs expire after an hour: download at once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from pinglass.errors import InvalidRequest, ProviderError, RemoteJobFailed
from pinglass.providers import PROVIDERS
from pinglass.providers import _replicate_inputs as wire
from pinglass.providers._create_poll import Call, CreatePollProvider, State
from pinglass.providers._upload import UploadCache
from pinglass.providers.base import Finished, GenerationRequest, Pending, Reference
from pinglass.secrets import ApiKey

__all__ = ["Replicate"]

_MAX_LIST_PAGES = 5


class Replicate(CreatePollProvider):
    """Replicate predictions API adapter."""

    spec = PROVIDERS["replicate"]
    can_cancel: ClassVar[bool] = True
    can_reattach: ClassVar[bool] = True
    safety_signals: ClassVar[tuple[str, ...]] = ("nsfw", "safety")
    probe_path: ClassVar[str | None] = "/account"  # free; Replicate reports no balance

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.uploads = UploadCache()
        self._versions: dict[str, tuple[str, frozenset[str]]] = {}

    async def _version(self, model: str, key: ApiKey) -> tuple[str, frozenset[str]]:
        """``(version id, input names)`` of a community model, fetched once per run."""
        if model not in self._versions:
            body = await self.request_json("GET", f"{self.base_url}/models/{model}", key)
            latest = body.get("latest_version") if isinstance(body, dict) else None
            if not isinstance(latest, dict) or not isinstance(latest.get("id"), str):
                raise InvalidRequest("model has no published version", provider=self.name)
            self._versions[model] = (latest["id"], wire.schema_properties(latest))
        return self._versions[model]

    async def _upload(self, ref: Reference, key: ApiKey) -> str:
        async def upload(r: Reference) -> str:
            files = {"content": (r.name, r.data, r.mime)}
            body = await self.request_json("POST", f"{self.base_url}/files", key, files=files)
            url = body.get("urls", {}).get("get") if isinstance(body, dict) else None
            if not isinstance(url, str):
                raise InvalidRequest("file upload returned no URL", provider=self.name)
            return url

        return await self.uploads.url_for(ref, upload)

    async def prediction_input(
        self, req: GenerationRequest, key: ApiKey, *, upload: bool = True
    ) -> dict[str, Any]:
        """The model input for ``req`` (uploads references once; checks community schemas).

        ``upload=False`` puts a placeholder where the reference URL goes (for matching).
        """
        names = (await self._version(req.model, key))[1] if _is_community(req) else None
        refs = req.references[:1]
        urls = [await self._upload(r, key) if upload else wire.REF_PLACEHOLDER for r in refs]
        return wire.build_input(req, reference_urls=urls, schema=names)

    async def create_request(self, req: GenerationRequest, key: ApiKey) -> Call:
        """``POST /predictions`` (community, with version) or the official model's route."""
        body: dict[str, Any] = {"input": await self.prediction_input(req, key)}
        url = f"{self.base_url}/models/{req.model}/predictions"
        if _is_community(req):
            body["version"] = (await self._version(req.model, key))[0]
            url = f"{self.base_url}/predictions"
        # Prefer: wait holds the request up to 60 s. Cancel-After bounds what the prediction
        # can bill: the runner reserves rate x deadline for per-second models (minimum 5 s,
        # https://replicate.com/changelog/2025-10-16-prediction-deadlines).
        deadline = f"{max(5, req.deadline_s)}s" if req.deadline_s else "15m"
        headers = {"Prefer": "wait", "Cancel-After": deadline}
        return Call(url, kwargs={"json": body, "headers": headers})

    def remote_id_of(self, body: Any) -> str:
        """The prediction id."""
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise InvalidRequest("prediction response has no id", provider=self.name)
        return str(body["id"])

    def status_url(self, remote_id: str) -> str:
        """``GET /predictions/{id}``."""
        return f"{self.base_url}/predictions/{remote_id}"

    def parse_status(self, body: Any) -> State:
        """Replicate's six statuses folded into the four states (``aborted`` → canceled)."""
        return wire.STATES.get(str(body.get("status") if isinstance(body, dict) else ""), "pending")

    def failure(self, body: Any, remote_id: str) -> ProviderError:
        """``failed``, ``canceled`` and ``aborted`` are final answers, never "still running".

        A prediction stopped by its ``Cancel-After`` deadline (or a cancel request) while it ran
        ends ``canceled`` and is billed for the time it ran; one whose deadline passed while it
        still waited in the queue ends ``aborted`` and is not charged on public models
        (https://replicate.com/changelog/2025-10-16-prediction-deadlines). The reported
        ``metrics.predict_time`` goes with the error so the runner counts those seconds.
        """
        status = body.get("status") if isinstance(body, dict) else None
        seconds = (body.get("metrics") or {}).get("predict_time") if status else None
        ran = (Decimal(str(seconds)), "second") if isinstance(seconds, int | float) else None
        if status == "canceled":
            return RemoteJobFailed(
                f"prediction {remote_id} was canceled while it ran (deadline or cancel); "
                "Replicate bills the time it ran",
                provider=self.name,
                billed=True,
                quantity=ran,
            )
        if status == "aborted":
            return RemoteJobFailed(
                f"prediction {remote_id} was aborted before it started (its deadline passed "
                "in the queue); not charged",
                provider=self.name,
                billed=False,
            )
        error = super().failure(body, remote_id)
        if isinstance(error, RemoteJobFailed) and ran is not None:
            error.quantity = ran  # a failed prediction bills the time it ran
        return error

    async def parse_output(self, body: Any, remote_id: str, key: ApiKey) -> Finished:
        """``output`` (a URI or a list of URIs) and the billed hardware time where known."""
        return wire.finished_prediction(body, remote_id)

    async def cancel(self, remote_id: str, key: ApiKey) -> bool:
        """``POST /predictions/{id}/cancel``; True when Replicate accepted."""
        await self.request_json("POST", f"{self.status_url(remote_id)}/cancel", key)
        return True

    async def find_submitted(
        self, req: GenerationRequest, key: ApiKey, *, since: float
    ) -> Pending | Finished | None:
        """List predictions created since ``since`` and re-attach to one with our exact input."""
        # The reference URL differs after a resume (uploaded again): match everything else.
        wanted = await self.prediction_input(req, key, upload=False)
        after = dt.datetime.fromtimestamp(since - 5, dt.UTC).isoformat().replace("+00:00", "Z")
        url: str | None = f"{self.base_url}/predictions"
        params: dict[str, str] | None = {"created_after": after}
        for _ in range(_MAX_LIST_PAGES):
            if url is None:
                break
            page = await self.request_json("GET", url, key, params=params)
            for item in page.get("results") or []:
                if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                    continue
                if "input" not in item:  # the list may omit inputs: read the prediction
                    item = await self.request_json("GET", self.status_url(item["id"]), key)
                if wire.same_input(item.get("input"), wanted):
                    return await self.advance(item, item["id"], key)
            url, params = page.get("next"), None
        return None

    def download_headers(self, url: str, key: ApiKey) -> dict[str, str]:
        """The token on Replicate's own output hosts (the docs fetch outputs with it)."""
        host = httpx.URL(url).host
        if host.endswith(("replicate.delivery", "replicate.com")):
            return self.auth_headers(key)
        return {}


def _is_community(req: GenerationRequest) -> bool:
    """Community models are priced per second of hardware and run by version id."""
    return req.price_unit == "second"
