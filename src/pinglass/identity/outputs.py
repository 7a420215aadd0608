"""Identity for a whole run: build the reference check, embed the chosen references, score outputs.

:func:`setup` is what a session calls before anything is spent. With the extra installed it
returns an :class:`IdentitySetup` holding an analyzer (models loaded once) and an
:class:`~pinglass.identity.refcheck.IdentityCheck` for reference scoring; without it, the setup
only carries the one-line reason the checks were skipped. After the references are chosen,
:meth:`IdentitySetup.embed_references` keeps the embeddings of the chosen ones (reusing the
check's, else computing them from the prepared crops), and :class:`RunLikeness` scores each
saved output against the references that image actually used, on one worker thread.
The ``report.json`` ``identity`` block is built from these scores in :mod:`pinglass.report.build`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pinglass.identity._models import unavailable_reason
from pinglass.identity.consistency import DEFAULT_THRESHOLD
from pinglass.identity.likeness import Likeness

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from pinglass.identity.analyzer import FaceAnalyzer
    from pinglass.identity.refcheck import IdentityCheck
    from pinglass.identity.scorer import LikenessScorer
    from pinglass.refs.analysis import Detector
    from pinglass.refs.faces import Box as RefBox

__all__ = ["NO_IDENTITY_REASON", "IdentitySetup", "RunLikeness", "references_used", "setup"]


@dataclass(slots=True)
class IdentitySetup:
    """What a run knows about identity: available or why not, the check, the references."""

    reason: str | None
    """Why identity checks are skipped (one line), or ``None`` when they run."""
    threshold: float = DEFAULT_THRESHOLD
    analyzer: FaceAnalyzer | None = None
    check: IdentityCheck | None = None
    references: dict[str, np.ndarray] = field(default_factory=dict)
    """Chosen reference file -> embedding (see :meth:`embed_references`)."""

    @property
    def available(self) -> bool:
        """True when the identity checks run."""
        return self.analyzer is not None

    @property
    def detector(self) -> Detector | None:
        """dlib's face detector as reference scoring's second opinion (``None`` when off)."""
        analyzer = self.analyzer
        if analyzer is None:
            return None

        def find(gray: npt.NDArray[np.uint8]) -> list[RefBox]:
            from pinglass.refs.faces import Box as RefBox

            # No upsampled second try: faces under about 80 px in the working image are left
            # to the cascades' own looks for small faces, which cost far less.
            found = analyzer.detect_all(gray, upsample=False)
            return [RefBox(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in found]

        return find

    def embed_references(self, crops: Iterable[tuple[str, bytes]]) -> None:
        """Keep the embeddings of the chosen references: ``(file, prepared crop bytes)`` pairs.

        Reuses what the reference check measured on the original file; otherwise embeds the
        crop. A reference with no face found is left out. Does nothing when unavailable.
        """
        if self.analyzer is None:
            return
        from pinglass.identity._decode import decode_rgb

        measured = self.check.embeddings if self.check is not None else {}
        for name, data in crops:
            vector = measured.get(name)
            if vector is None:
                rgb = decode_rgb(data)
                vector = None if rgb is None else self.analyzer.embedding(rgb)
            if vector is not None:
                self.references[name] = vector


NO_IDENTITY_REASON = "identity checks skipped: turned off (--no-identity or no_identity = true)"
"""What the report says when the user turned the identity checks off."""


def setup(threshold: float = DEFAULT_THRESHOLD, *, enabled: bool = True) -> IdentitySetup:
    """Load the models and build the reference check, or say why identity checks are skipped.

    ``enabled=False`` skips them even when the extra is installed (``--no-identity``).

    Raises:
        ValueError: ``threshold`` is not positive.
    """
    if not threshold > 0:
        raise ValueError(f"threshold must be positive, got {threshold}")
    if not enabled:
        return IdentitySetup(reason=NO_IDENTITY_REASON, threshold=threshold)
    reason = unavailable_reason()
    if reason is not None:
        return IdentitySetup(reason=reason, threshold=threshold)
    from pinglass.identity.analyzer import FaceAnalyzer
    from pinglass.identity.refcheck import IdentityCheck

    analyzer = FaceAnalyzer(background=True)  # loads while reference scoring runs
    check = IdentityCheck(analyzer, threshold=threshold)
    return IdentitySetup(reason=None, threshold=threshold, analyzer=analyzer, check=check)


def references_used(references: Mapping[str, object], used: Sequence[str]) -> tuple[str, ...]:
    """The embedded references an output is scored against, sorted: those named in ``used``
    that have an embedding, else all of ``references``."""
    return tuple(sorted(n for n in used if n in references)) or tuple(sorted(references))


class RunLikeness:
    """Scores saved outputs against the references each used, on one shared worker thread.

    One :class:`~pinglass.identity.scorer.LikenessScorer` per distinct set of references (a
    one-reference model rotates them across prompts); unknown or missing names fall back to all
    the chosen references. Use from one thread (the event loop); futures complete in the worker.
    """

    def __init__(self, setup: IdentitySetup) -> None:
        """Raises ``ValueError`` when ``setup`` is unavailable or has no reference embeddings."""
        if setup.analyzer is None or not setup.references:
            raise ValueError("likeness needs the identity extra and embedded references")
        self._analyzer: FaceAnalyzer = setup.analyzer
        self._references = setup.references
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pinglass-likeness")
        self._scorers: dict[tuple[str, ...], LikenessScorer] = {}

    def submit(self, image: Path, used: Sequence[str]) -> Future[Likeness | None]:
        """Queue ``image`` (a saved file) against the references named in ``used``; at once.

        The future gives ``None`` when no face is found or the file cannot be decoded.
        """
        from pinglass.identity.scorer import LikenessScorer

        refs = self._references
        names = references_used(refs, used)
        scorer = self._scorers.get(names)
        if scorer is None:
            vectors = [refs[n] for n in names]
            scorer = LikenessScorer(self._analyzer, vectors, executor=self._executor)
            self._scorers[names] = scorer
        return self._executor.submit(_score_quietly, scorer, image)

    def close(self, *, wait: bool = True) -> None:
        """Stop the worker; with ``wait`` finish queued images, else cancel them. Idempotent."""
        self._executor.shutdown(wait=wait, cancel_futures=not wait)


def _score_quietly(scorer: LikenessScorer, image: Path) -> Likeness | None:
    """A file that vanished or cannot be read has no likeness; it must not fail the run."""
    try:
        return scorer.score(image)
    except OSError:
        return None
