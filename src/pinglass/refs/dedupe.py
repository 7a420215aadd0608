"""Near-duplicate detection with a DCT perceptual hash (pHash) of the face crop.

The classic pHash: shrink the normalised face crop to 32 x 32, take the 2-D DCT, keep the 8 x 8
lowest frequencies without the DC term (63 coefficients) and set a bit where a coefficient is above
their median. Brightness, contrast, JPEG quality and mild blur barely move it; a different head
pose, expression or a mirror image does. Hashing the face crop rather than the frame means a
re-crop or a resized copy of the same shot is still caught.

Two photos are near-duplicates when their hashes differ in at most :data:`DUPLICATE_DISTANCE`
bits. Measured on ``sample_refs/``: a re-saved, resized, nudged copy of a shot differs by 2 bits
(the Haar box jitters by a few pixels between copies); separate shots of one person whose head is
tilted or turned a few degrees differ by 6 or more. So 4 is the threshold: strict, because
rejecting a good distinct photo costs more than keeping a near-copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["DUPLICATE_DISTANCE", "hamming", "phash"]

DUPLICATE_DISTANCE = 4
"""Largest Hamming distance (bits out of 63) at which two face crops are the same shot."""


def phash(face: npt.NDArray[np.uint8]) -> int:
    """The 63-bit DCT perceptual hash of a grey face crop, as an int."""
    import cv2
    import numpy as np

    small = cv2.resize(face, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(small)[:8, :8].flatten()[1:]
    bits = low > np.median(low)
    return int(sum(1 << i for i, bit in enumerate(bits) if bit))


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two hashes."""
    return (a ^ b).bit_count()
