"""The offline trainer: finishes at once, costs nothing, needs no key or network.

Its "LoRA" is the subject folder itself (``mock://<sha>``): ``generate --subject`` with the mock
provider draws from the subject's crops, so demos and CI run the whole refs → train → generate
path for free.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pinglass.secrets import ApiKey
from pinglass.training.base import Prepared, Trainer, TrainingSpec, TrainingStatus

__all__ = ["MockTrainer"]


class MockTrainer(Trainer):
    """Instant, free training."""

    provider: ClassVar[str] = "mock"
    default_base_url: ClassVar[str] = "mock://local"

    async def prepare(self, spec: TrainingSpec, key: ApiKey) -> dict[str, str]:
        """Nothing to prepare."""
        return {}

    async def create(self, spec: TrainingSpec, prepared: Prepared, key: ApiKey) -> str:
        """The remote id is derived from the zip, so the same crops give the same id."""
        return f"mock-train-{spec.dataset_sha256[:12]}"

    async def poll(self, remote_id: str, key: ApiKey) -> TrainingStatus:
        """Always finished."""
        digest = remote_id.removeprefix("mock-train-")
        return TrainingStatus(
            "succeeded",
            lora_url=f"mock://lora/{digest}",
            billed_usd=Decimal(0),
            cost_source="provider",
            log="trained offline",
        )

    async def find(
        self, spec: TrainingSpec, prepared: Prepared, key: ApiKey, *, since: float
    ) -> str | None:
        """The mock cannot lose an answer; its id is known from the zip."""
        return f"mock-train-{spec.dataset_sha256[:12]}"
