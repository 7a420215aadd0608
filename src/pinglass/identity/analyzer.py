"""FaceAnalyzer: dlib face detection, 5-point landmarks and 128-d face embeddings.

The models load once per analyzer (about 0.2 s and 35 MB); build one and share it.

**Thread safety.** One analyzer may be used from several threads: every dlib call runs under the
analyzer's lock, because dlib's ResNet keeps per-call state in the network object. Calls are
therefore serialised; for parallel work build one analyzer per thread. Measured with dlib 20.0:
HOG detection releases the GIL, but the embedding network holds it for its whole forward pass
(about 75 ms on this machine), so a worker thread computing an embedding slows other Python
threads for that long.

**Detection** (used when no box is given) runs dlib's HOG frontal detector on a copy downscaled
so its long side is at most ``detect_side`` pixels (512 by default; about 4x cheaper than the
full 1024 px frame and it misses no face wider than about 80 px in the copy), then maps the box
back. If nothing is found, it retries once with dlib's 2x upsampling of that copy, which finds
faces down to about 40 px in the copy. Landmarks and embeddings are always computed on the
full-resolution image.
"""

from __future__ import annotations

import threading
from typing import Any

import cv2
import numpy as np

from pinglass.identity._models import (
    IdentityUnavailable,
    frontal_detector,
    load_dlib,
    model_paths,
    unavailable_reason,
)
from pinglass.identity.geometry import Box, Landmarks, landmarks_from_points

__all__ = ["EMBEDDING_SIZE", "FaceAnalyzer"]

EMBEDDING_SIZE = 128
"""Length of a dlib face embedding."""


class FaceAnalyzer:
    """Finds the largest face in an RGB image and measures it with dlib's models.

    Images are ``(H, W, 3)`` uint8 RGB arrays (``(H, W)`` greyscale is accepted). A ``box`` is
    ``(left, top, right, bottom)`` in that image's pixels, for example from reference scoring's
    Haar cascade; without one, the analyzer detects the face itself.
    """

    def __init__(
        self, *, detect_side: int = 512, detect_threshold: float = 0.0, background: bool = False
    ) -> None:
        """Load the detector, the 5-point shape predictor and the ResNet encoder.

        ``detect_threshold`` is added to dlib's HOG decision threshold (lower finds more,
        less frontal faces). The detector loads at once (about 2 ms: see
        :func:`~pinglass.identity._models.frontal_detector`). With ``background`` the two model
        files (about 0.2 s of CPU, holding the GIL) load on a thread while the caller goes on,
        for example scoring the photos with OpenCV; the first call that needs them waits
        (:meth:`ready`).

        Raises:
            IdentityUnavailable: dlib or the models are not installed (the message says why).
            ValueError: ``detect_side`` is below 64.
        """
        if detect_side < 64:
            raise ValueError(f"detect_side must be at least 64 px, got {detect_side}")
        paths = model_paths()
        reason = unavailable_reason()
        if reason is not None or paths is None:
            raise IdentityUnavailable(reason or "identity checks skipped: models missing")
        dlib = load_dlib()
        self._dlib: Any = dlib
        self._detector: Any = frontal_detector(dlib)
        self._models: tuple[Any, Any] | None = None
        self._failure: BaseException | None = None
        self._detect_side = detect_side
        self._threshold = detect_threshold
        self._lock = threading.Lock()
        self._loader = threading.Thread(
            target=self._load, args=(paths,), name="pinglass-dlib-models", daemon=True
        )
        self._loader.start()
        if not background:
            self.ready()

    def _load(self, paths: Any) -> None:
        try:
            shapes = self._dlib.shape_predictor(str(paths.shape_predictor_5))
            encoder = self._dlib.face_recognition_model_v1(str(paths.face_encoder))
            self._models = (shapes, encoder)
        except (RuntimeError, OSError) as exc:  # a corrupt model file: say so on first use
            self._failure = exc

    def ready(self) -> None:
        """Wait until the models are loaded (at once when they are).

        Raises:
            IdentityUnavailable: a model file could not be loaded.
        """
        self._loader.join()
        if self._models is None:
            raise IdentityUnavailable(
                f"identity checks skipped: dlib could not load its models ({self._failure})"
            )

    @property
    def _shapes(self) -> Any:
        self.ready()
        assert self._models is not None  # noqa: S101 - ready() raised otherwise
        return self._models[0]

    @property
    def _encoder(self) -> Any:
        self.ready()
        assert self._models is not None  # noqa: S101 - ready() raised otherwise
        return self._models[1]

    def detect(self, rgb: np.ndarray) -> Box | None:
        """Return the largest face's box in ``rgb``'s pixels, or ``None`` when there is no face."""
        found = self.detect_all(rgb)
        return found[0] if found else None

    def detect_all(self, rgb: np.ndarray, *, upsample: bool = True) -> list[Box]:
        """Every face's box in ``rgb``'s pixels (a grey image works too), largest first.

        Without ``upsample`` there is no second, 2x upsampled try (about four times the cost
        of the first): only faces from about 80 px in the copy are found.
        """
        image = _as_rgb(rgb)
        height, width = image.shape[:2]
        scale = min(1.0, self._detect_side / max(height, width))
        small = image
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        with self._lock:
            rects = self._run_detector(small, 0)
            if not rects and upsample:
                rects = self._run_detector(small, 1)
        boxes: list[Box] = []
        for rect in sorted(rects, key=lambda r: r.width() * r.height(), reverse=True):
            left, top = max(0, round(rect.left() / scale)), max(0, round(rect.top() / scale))
            right = min(width, round((rect.right() + 1) / scale))
            bottom = min(height, round((rect.bottom() + 1) / scale))
            if right > left and bottom > top:
                boxes.append((left, top, right, bottom))
        return boxes

    def landmarks(self, rgb: np.ndarray, box: Box | None = None) -> Landmarks | None:
        """Return the five landmarks and the size and pose they imply, or ``None`` (no face).

        Coordinates and ``inter_eye_px`` are in ``rgb``'s pixels.
        """
        image = _as_rgb(rgb)
        found = box if box is not None else self.detect(image)
        if found is None:
            return None
        with self._lock:
            shape = self._shapes(image, self._rect(found))
        points = [(p.x, p.y) for p in shape.parts()]
        return landmarks_from_points(points, found)

    def embedding(self, rgb: np.ndarray, box: Box | None = None) -> np.ndarray | None:
        """Return the face's 128-d float64 embedding, or ``None`` when there is no face.

        Two embeddings of one person are usually less than 0.6 apart (Euclidean), dlib's
        threshold from LFW.
        """
        image = _as_rgb(rgb)
        found = box if box is not None else self.detect(image)
        return None if found is None else self.measure(image, found)[1]

    def measure(self, rgb: np.ndarray, box: Box) -> tuple[Landmarks, np.ndarray]:
        """Return the landmarks and the embedding of the face in ``box``.

        The same as :meth:`landmarks` and :meth:`embedding` with that box, with one landmark
        fit for both instead of two.

        Raises:
            ValueError: ``box`` is empty, or ``rgb`` is not an image (see :meth:`landmarks`).
        """
        image = _as_rgb(rgb)
        with self._lock:
            shape = self._shapes(image, self._rect(box))
            vector = self._encoder.compute_face_descriptor(image, shape)
        points = [(p.x, p.y) for p in shape.parts()]
        embedding = np.asarray(vector, dtype=np.float64).reshape(EMBEDDING_SIZE)
        return landmarks_from_points(points, box), embedding

    def _run_detector(self, image: np.ndarray, upsample: int) -> list[Any]:
        rects, _scores, _kinds = self._detector.run(image, upsample, self._threshold)
        return list(rects)

    def _rect(self, box: Box) -> Any:
        left, top, right, bottom = (int(v) for v in box)
        if right <= left or bottom <= top:
            raise ValueError(f"empty face box {box}")
        # dlib rectangles are inclusive of right and bottom.
        return self._dlib.rectangle(left, top, right - 1, bottom - 1)


def _as_rgb(rgb: np.ndarray) -> np.ndarray:
    """Return a C-contiguous uint8 (H, W, 3) array, as dlib requires.

    Raises:
        ValueError: not an (H, W), (H, W, 3) or (H, W, 4) uint8 image.
    """
    if rgb.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {rgb.dtype}")
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[:, :, None], 3, axis=2)
    elif rgb.ndim == 3 and rgb.shape[2] == 4:
        rgb = rgb[:, :, :3]
    if rgb.ndim != 3 or rgb.shape[2] != 3 or min(rgb.shape[:2]) < 1:
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {rgb.shape}")
    return np.ascontiguousarray(rgb)
