"""People folders for the studio tests, made of links to sample_refs/ (no photo is copied)."""

from __future__ import annotations

from pathlib import Path

SAMPLE_REFS = Path(__file__).resolve().parents[2] / "sample_refs"

# Three usable photos and one rejected photo each (sample_refs has 9 usable photos).
PEOPLE = {
    "ana": ("IMG_0412", "IMG_0415", "IMG_0450", "IMG_0453"),
    "ben": ("IMG_0423", "IMG_0427", "IMG_0419", "IMG_0441"),
    "cleo": ("IMG_0431", "IMG_0438", "IMG_0436", "IMG_0447"),
}
TOO_FEW = ("IMG_0412", "IMG_0415", "IMG_0447", "IMG_0453")
"""Two usable photos (and a photo with no face, one with two faces): skipped."""
ONLY = "studio-grey,office-window,boardroom"
"""Three prompts of the business preset, to keep runs short."""


def make_people(root: Path, people: dict[str, tuple[str, ...]] | None = None) -> Path:
    """``root`` with one folder of linked selfies per person; returns ``root``."""
    for name, photos in (people or PEOPLE).items():
        folder = root / name
        folder.mkdir(parents=True)
        for stem in photos:
            (folder / f"{stem}.jpg").symlink_to(SAMPLE_REFS / f"{stem}.jpg")
    return root
