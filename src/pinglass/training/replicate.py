"""Replicate trainer over the trainings API (docs/providers.md, "Training").

Free preparation: ``GET /account`` (the owner), ``GET /models/{owner}/{name}`` and, when it is
404, ``POST /models`` (the private destination); ``GET /models/{trainer}`` (its latest version);
``POST /files`` (the zip; ``urls.get`` becomes ``input_images``). The billable create is
``POST /models/{trainer}/versions/{id}/trainings`` with ``destination`` and ``input`` (shape of
replicate-python's recorded ``tests/cassettes/trainings-create.yaml``). Poll ``GET
/trainings/{id}``; a success carries ``output: {version, weights}``. Replicate bills GPU time, so
a failed or canceled training costs ``metrics.predict_time`` x the per-second rate. A lost create
answer is reconciled by listing ``GET /trainings`` and matching destination and input.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from pinglass.errors import InvalidRequest
from pinglass.money import usd
from pinglass.secrets import ApiKey
from pinglass.training.base import (
    Prepared,
    Trainer,
    TrainingSpec,
    TrainingState,
    TrainingStatus,
)

__all__ = ["ReplicateTrainer"]

_MAX_PAGES = 5
_STATES: dict[str, TrainingState] = {"starting": "queued", "processing": "running"}


class ReplicateTrainer(Trainer):
    """``ostris/flux-dev-lora-trainer`` into a private model of the token's owner."""

    provider: ClassVar[str] = "replicate"
    default_base_url: ClassVar[str] = "https://api.replicate.com/v1"
    bills_failures: ClassVar[bool] = True

    async def prepare(self, spec: TrainingSpec, key: ApiKey) -> dict[str, str]:
        """Owner, destination model (created if missing), trainer version, uploaded zip."""
        account = await self.call("GET", f"{self.base_url}/account", key)
        owner = account.get("username") if isinstance(account, dict) else None
        if not isinstance(owner, str) or not owner:
            raise InvalidRequest("account has no username", provider=self.provider)
        destination = f"{owner}/pinglass-{spec.name}"
        await self._ensure_model(owner, f"pinglass-{spec.name}", key)
        model = await self.call("GET", f"{self.base_url}/models/{self.entry.vendor_id}", key)
        latest = model.get("latest_version") if isinstance(model, dict) else None
        version = latest.get("id") if isinstance(latest, dict) else None
        if not isinstance(version, str):
            raise InvalidRequest("trainer has no published version", provider=self.provider)
        files = {"content": (f"{spec.name}.zip", spec.dataset, "application/zip")}
        upload = await self.call("POST", f"{self.base_url}/files", key, files=files)
        url = upload.get("urls", {}).get("get") if isinstance(upload, dict) else None
        if not isinstance(url, str):
            raise InvalidRequest("file upload returned no URL", provider=self.provider)
        return {"destination": destination, "version": version, "images_url": url}

    async def _ensure_model(self, owner: str, name: str, key: ApiKey) -> None:
        from pinglass.errors import ProviderError

        try:
            await self.call("GET", f"{self.base_url}/models/{owner}/{name}", key)
            return
        except ProviderError as exc:
            if exc.status_code != 404:
                raise
        body = {
            "owner": owner,
            "name": name,
            "visibility": "private",
            "hardware": str(self.options.get("hardware", "gpu-t4")),
            "description": "A pinglass subject (LoRA trained by pinglass train)",
        }
        await self.call("POST", f"{self.base_url}/models", key, json=body)

    def _input(self, spec: TrainingSpec, prepared: Prepared) -> dict[str, Any]:
        return {
            self.entry.images_field: prepared["images_url"],
            self.entry.trigger_field: spec.trigger,
            "steps": spec.steps,
            **self.entry.params,
        }

    async def create(self, spec: TrainingSpec, prepared: Prepared, key: ApiKey) -> str:
        """``POST /models/{trainer}/versions/{id}/trainings`` once; returns the training id."""
        url = (
            f"{self.base_url}/models/{self.entry.vendor_id}/versions/{prepared['version']}"
            "/trainings"
        )
        body = {"destination": prepared["destination"], "input": self._input(spec, prepared)}
        answer = await self.call("POST", url, key, json=body)
        tid = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(tid, str) or not tid:
            raise InvalidRequest("training answer has no id", provider=self.provider)
        return tid

    async def poll(self, remote_id: str, key: ApiKey) -> TrainingStatus:
        """``GET /trainings/{id}``: status, newest log line, output or error, GPU seconds."""
        body = await self.call("GET", f"{self.base_url}/trainings/{remote_id}", key)
        return self.status_of(body)

    def status_of(self, body: Any) -> TrainingStatus:
        """The :class:`TrainingStatus` of a training object."""
        if not isinstance(body, dict):
            raise InvalidRequest("training is not a JSON object", provider=self.provider)
        status = str(body.get("status") or "")
        log = _last_line(body.get("logs"))
        billed = self._billed(body)
        if status == "succeeded":
            raw = body.get("output")
            output: dict[str, Any] = raw if isinstance(raw, dict) else {}
            version = output.get("version")
            weights = output.get("weights")
            if not isinstance(version, str):
                return TrainingStatus("failed", error="the output has no version", **billed)
            return TrainingStatus(
                "succeeded",
                model_version=version,
                lora_url=weights if isinstance(weights, str) else None,
                log=log,
                **billed,
            )
        if status in ("failed", "canceled", "aborted"):
            state: TrainingState = "failed" if status == "failed" else "canceled"
            reason = str(body.get("error") or f"training {status}")
            return TrainingStatus(state, error=reason, log=log, **billed)
        return TrainingStatus(_STATES.get(status, "running"), log=log)

    def _billed(self, body: dict[str, Any]) -> dict[str, Any]:
        raw = body.get("metrics")
        metrics: dict[str, Any] = raw if isinstance(raw, dict) else {}
        seconds = metrics.get("predict_time")
        if isinstance(seconds, int | float) and seconds >= 0:
            amount = usd(Decimal(repr(float(seconds))) * self.entry.price)
            return {"billed_usd": amount, "cost_source": "computed"}
        return {}

    async def find(
        self, spec: TrainingSpec, prepared: Prepared, key: ApiKey, *, since: float
    ) -> str | None:
        """List trainings newest first; the one made since ``since`` with our exact input."""
        wanted = self._input(spec, prepared)
        url: str | None = f"{self.base_url}/trainings"
        for _ in range(_MAX_PAGES):
            if url is None:
                break
            page = await self.call("GET", url, key)
            for item in page.get("results") or [] if isinstance(page, dict) else []:
                if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                    continue
                created = _created(item)
                if created is not None and created < since - 60:
                    return None  # newest first: everything further is older than our create
                if "input" not in item:  # a list entry may omit inputs: read the training
                    item = await self.call("GET", f"{self.base_url}/trainings/{item['id']}", key)
                given = item.get("input") if isinstance(item.get("input"), dict) else {}
                dest = item.get("destination")
                if dest not in (None, prepared.get("destination")):
                    continue
                if all(given.get(k) == v for k, v in wanted.items()):
                    return str(item["id"])
            url = page.get("next") if isinstance(page, dict) else None
        return None

    async def cancel(self, remote_id: str, key: ApiKey) -> None:
        """``POST /trainings/{id}/cancel``."""
        await self.call("POST", f"{self.base_url}/trainings/{remote_id}/cancel", key)


def _created(item: dict[str, Any]) -> float | None:
    raw = item.get("created_at")
    if not isinstance(raw, str):
        return None
    stamp = raw.removesuffix("Z").split("+")[0]
    head, dot, frac = stamp.partition(".")
    try:  # Replicate writes up to nine fractional digits; Python reads six
        when = dt.datetime.fromisoformat(head + (dot + frac[:6] if dot else ""))
    except ValueError:
        return None
    return when.replace(tzinfo=dt.UTC).timestamp()


def _last_line(logs: Any) -> str | None:
    if not isinstance(logs, str):
        return None
    lines = [line.strip() for line in logs.splitlines() if line.strip()]
    return lines[-1] if lines else None
