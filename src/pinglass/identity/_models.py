"""Find dlib and the model files that ``face-recognition-models`` ships, without importing either.

The ``identity`` extra is optional: everything here must work (and say why identity checks are
skipped) when dlib or the models are missing. The model files are located with
:func:`importlib.util.find_spec`, which reads the package's location without executing its
``__init__``: ``face_recognition_models/__init__.py`` imports ``pkg_resources``, which warns
(``DeprecationWarning``) on recent setuptools and would break ``filterwarnings = error``.
Nothing is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from pinglass.errors import ConfigError

__all__ = [
    "EXTRA_HINT",
    "IdentityUnavailable",
    "ModelPaths",
    "available",
    "frontal_detector",
    "load_dlib",
    "model_paths",
    "unavailable_reason",
]

EXTRA_HINT = "install the identity extra: pip install 'pinglass[identity]'"
"""What to tell a user whose installation lacks dlib or the models."""

_MODELS_PACKAGE = "face_recognition_models"
_SHAPE_5 = "shape_predictor_5_face_landmarks.dat"
_RESNET = "dlib_face_recognition_resnet_model_v1.dat"
_FRONTAL = Path(__file__).with_name("frontal_face_detector.svm")
_FRONTAL_SHA256 = "f3f7aa833fb4a14a46fc48689f45b98d85ef72d6dfaf8bdc012b7d3c522a5426"


class IdentityUnavailable(ConfigError):
    """The identity extra (dlib and its models) is not installed; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class ModelPaths:
    """Where the two dlib model files used by pinglass live on disk."""

    shape_predictor_5: Path
    """dlib's 5-point landmark model (two corners per eye, base of the nose); about 9 MB."""
    face_encoder: Path
    """dlib's ResNet face-recognition model giving 128-d embeddings; about 22 MB."""


def model_paths() -> ModelPaths | None:
    """Return the model file locations, or ``None`` when the package or a file is missing.

    Does not import ``face_recognition_models`` (see the module docstring). Idempotent.
    """
    try:
        spec = importlib.util.find_spec(_MODELS_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations))) / "models"
    paths = ModelPaths(shape_predictor_5=root / _SHAPE_5, face_encoder=root / _RESNET)
    if not (paths.shape_predictor_5.is_file() and paths.face_encoder.is_file()):
        return None
    return paths


def load_dlib() -> ModuleType:
    """Import and return the ``dlib`` module.

    Raises:
        ImportError: dlib is not installed (or fails to load).
    """
    return importlib.import_module("dlib")


def frontal_detector(dlib: ModuleType, saved: Path = _FRONTAL) -> Any:
    """Return dlib's HOG frontal face detector (a ``dlib.fhog_object_detector``).

    ``dlib.get_frontal_face_detector()`` decompresses the detector from data compiled into dlib:
    0.5-0.8 s of CPU, holding the GIL. The same detector, saved once with its ``save()`` (see
    ``frontal_face_detector.LICENSE.txt``), loads from ``saved`` (the file beside this module)
    in about 2 ms; a test checks that it is byte for byte the installed dlib's. When that file
    is missing, altered or unreadable by this dlib, dlib's own is built instead. Idempotent.
    """
    try:
        data = saved.read_bytes()
    except OSError:
        data = b""
    if hashlib.sha256(data).hexdigest() == _FRONTAL_SHA256:
        try:
            return dlib.fhog_object_detector(str(saved))
        except RuntimeError:  # a dlib whose serialisation format differs
            pass
    return dlib.get_frontal_face_detector()


def unavailable_reason() -> str | None:
    """Say in one line why identity checks cannot run here, or return ``None`` when they can."""
    try:
        load_dlib()
    except ImportError as exc:
        return f"identity checks skipped: dlib cannot be imported ({exc}); {EXTRA_HINT}"
    if importlib.util.find_spec(_MODELS_PACKAGE) is None:
        return f"identity checks skipped: face-recognition-models is not installed; {EXTRA_HINT}"
    if model_paths() is None:
        return (
            f"identity checks skipped: {_SHAPE_5} or {_RESNET} is missing from "
            f"face-recognition-models; reinstall it ({EXTRA_HINT})"
        )
    return None


def available() -> bool:
    """Return True when dlib imports and both model files are present."""
    return unavailable_reason() is None
