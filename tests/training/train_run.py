"""Run one training against the stand-in: ``python train_run.py PROVIDER ROOT REFS SUBJECTS``.

``ROOT`` is the stand-in's ``http://127.0.0.1:PORT``. Used by the SIGKILL test (killed
mid-training, then run again) and usable by hand. Prints one JSON line: the outcome.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pinglass.errors import PinglassError
from pinglass.settings import Settings
from pinglass.training import TrainRequest, plan_training, run_training

KEYS = {"FAL_KEY": "fal-standin-key-0000000001", "REPLICATE_API_TOKEN": "r8_standin_train_0001"}


def settings_for(root: str, subjects: Path) -> Settings:
    """Settings pointing every trainer at the stand-in."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        base_urls={"replicate": f"{root}/v1", "fal": f"{root}/fal"},
        fal_platform_url=f"{root}/falapi/v1",
        poll_interval=0.05,
        subjects_dir=subjects,
    )


def main(provider: str, root: str, refs: Path, subjects: Path) -> int:
    settings = settings_for(root, subjects)
    request = TrainRequest(refs_dir=refs, provider=provider, name="standin", steps=100)
    try:
        plan = plan_training(request, settings, environ=KEYS)
        subject = run_training(plan, settings)
    except PinglassError as exc:
        print(json.dumps({"error": str(exc), "exit_code": int(exc.exit_code)}))
        return int(exc.exit_code)
    print(json.dumps({"remote_id": subject.remote_id, "resumed": plan.resuming}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])))
