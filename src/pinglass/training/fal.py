"""fal.ai trainers over the queue API (docs/providers.md, "Training").

Submit ``POST https://queue.fal.run/{trainer}`` with ``images_data_url`` (the zip of crops as a
``data:`` URI) and the trigger; poll ``…/requests/{id}/status?logs=1`` (queue position, logs);
read the result ``…/requests/{id}`` for ``diffusers_lora_file.url``. fal bills successful
requests only ("5xx failures are not billed; you pay only for successful outputs"), so a failed
training costs $0. A lost submit answer is reconciled with the platform API
``GET https://api.fal.ai/v1/models/requests/by-endpoint`` (request ids by time, with inputs where
payload storage is on), matched by our unique trigger word.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from pinglass.errors import ContentRejected, InvalidRequest
from pinglass.providers import _common, _http
from pinglass.secrets import ApiKey
from pinglass.training.base import Prepared, Trainer, TrainingSpec, TrainingStatus

__all__ = ["FalTrainer"]

_PLATFORM_URL = "https://api.fal.ai/v1"
_MAX_PAGES = 5


class FalTrainer(Trainer):
    """``fal-ai/flux-lora-portrait-trainer`` and ``fal-ai/flux-lora-fast-training``."""

    provider: ClassVar[str] = "fal"
    default_base_url: ClassVar[str] = "https://queue.fal.run"

    def auth_headers(self, key: ApiKey) -> dict[str, str]:
        """``Authorization: Key <FAL_KEY>``."""
        return _common.bearer(key, "Key")

    @property
    def _app(self) -> str:
        # Status and result URLs use only owner/app, never a subpath (docs/providers.md).
        return "/".join(self.entry.vendor_id.split("/")[:2])

    def _input(self, spec: TrainingSpec) -> dict[str, Any]:
        return {
            self.entry.images_field: _http.data_uri(spec.dataset, "application/zip"),
            self.entry.trigger_field: spec.trigger,
            "steps": spec.steps,
            **self.entry.params,
        }

    async def prepare(self, spec: TrainingSpec, key: ApiKey) -> dict[str, str]:
        """Nothing to prepare: the zip travels inline as a ``data:`` URI."""
        return {}

    async def create(self, spec: TrainingSpec, prepared: Prepared, key: ApiKey) -> str:
        """Queue the training once; the remote id is ``owner/app/requests/<request_id>``."""
        url = f"{self.base_url}/{self.entry.vendor_id}"
        body = await self.call("POST", url, key, json=self._input(spec))
        rid = body.get("request_id") if isinstance(body, dict) else None
        if not isinstance(rid, str) or not rid:
            raise InvalidRequest("queue answer has no request_id", provider=self.provider)
        return f"{self._app}/requests/{rid}"

    async def poll(self, remote_id: str, key: ApiKey) -> TrainingStatus:
        """Status with logs; on COMPLETED, the result with the LoRA URL (or the failure)."""
        url = f"{self.base_url}/{remote_id}/status"
        body = await self.call("GET", url, key, params={"logs": "1"})
        status = str(body.get("status") if isinstance(body, dict) else "")
        if status == "IN_QUEUE":
            pos = body.get("queue_position")
            return TrainingStatus("queued", queue_position=pos if isinstance(pos, int) else None)
        if status == "IN_PROGRESS":
            return TrainingStatus("running", log=_last_log(body.get("logs")))
        if status != "COMPLETED":
            return TrainingStatus("running")
        if body.get("error"):  # a COMPLETED status can carry the failure (fal_client Completed)
            reason = f"{body.get('error_type') or 'error'}: {body['error']}"
            return _failed(reason)
        try:
            result = await self.call("GET", f"{self.base_url}/{remote_id}", key)
        except (InvalidRequest, ContentRejected) as exc:  # the model's own error, e.g. 422
            if exc.status_code == 404:  # it ran, but fal keeps a result only 1 hour
                return TrainingStatus(
                    "failed",
                    error="finished, but fal no longer has the result (kept 1 hour); "
                    "the LoRA URL is lost",
                    charged=True,
                )
            return _failed(str(exc).removeprefix("fal: "))
        lora = result.get("diffusers_lora_file") if isinstance(result, dict) else None
        url_out = lora.get("url") if isinstance(lora, dict) else None
        if not isinstance(url_out, str):
            return _failed("the result has no diffusers_lora_file.url")
        # fal reports no money on results: the caller prices it from the catalog.
        return TrainingStatus("succeeded", lora_url=url_out)

    async def find(
        self, spec: TrainingSpec, prepared: Prepared, key: ApiKey, *, since: float
    ) -> str | None:
        """The request this endpoint received since ``since`` carrying our trigger word."""
        platform = str(self.options.get("platform_url") or _PLATFORM_URL).rstrip("/")
        start = dt.datetime.fromtimestamp(since - 60, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        params: dict[str, str] = {"endpoint_id": self.entry.vendor_id, "start": start}
        candidates: list[str] = []
        for _ in range(_MAX_PAGES):
            page = await self.call(
                "GET", f"{platform}/models/requests/by-endpoint", key, params=params
            )
            for item in page.get("items") or [] if isinstance(page, dict) else []:
                if not isinstance(item, dict) or not isinstance(item.get("request_id"), str):
                    continue
                given = item.get("json_input")
                if isinstance(given, dict) and given.get(self.entry.trigger_field) != spec.trigger:
                    continue
                candidates.append(item["request_id"])
            cursor = page.get("next_cursor") if isinstance(page, dict) else None
            if not (isinstance(page, dict) and page.get("has_more") and cursor):
                break
            params = {**params, "cursor": str(cursor)}
        if len(set(candidates)) != 1:
            return None  # none, or several we cannot tell apart: never guess
        return f"{self._app}/requests/{candidates[0]}"

    async def cancel(self, remote_id: str, key: ApiKey) -> None:
        """``PUT …/cancel``; effective only while the request is still queued."""
        await self.call("PUT", f"{self.base_url}/{remote_id}/cancel", key)


def _failed(reason: str) -> TrainingStatus:
    return TrainingStatus("failed", error=reason)


def _last_log(logs: Any) -> str | None:
    if not isinstance(logs, list):
        return None
    for entry in reversed(logs):
        message = entry.get("message") if isinstance(entry, dict) else None
        if isinstance(message, str) and message.strip():
            return message.strip()
    return None
