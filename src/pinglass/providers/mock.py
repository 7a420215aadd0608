"""The offline, free provider: real pictures made with Pillow, for demos and CI.

Each image is the chosen reference's face crop, colour-graded and framed from the prompt, with
the prompt and the reference's name printed on it, so a reviewer can see which reference and
prompt made it. ``latency`` (seconds per image), ``fail_rate`` (share of attempts that fail with
a transient error) and ``seed`` come from ``PINGLASS_MOCK_*`` via the adapter's options. Given
the same seed, request and attempt number, the outcome and the picture are the same.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import random
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pinglass.errors import Transient
from pinglass.providers import PROVIDERS
from pinglass.providers.base import Finished, GenerationRequest, ImageData, KeyStatus, Provider

if TYPE_CHECKING:
    import httpx
    from PIL import Image

    from pinglass.secrets import ApiKey

__all__ = ["Mock"]

# Prompt words → (background top, background bottom, tint) colours.
_PALETTES: tuple[tuple[tuple[str, ...], tuple[int, int, int], tuple[int, int, int], str], ...] = (
    (("neon", "night", "cyberpunk", "club"), (40, 10, 70), (10, 60, 110), "#ff4fd8"),
    (("golden", "sunset", "warm", "autumn"), (250, 190, 110), (170, 90, 60), "#ffb347"),
    (("noir", "black-and-white", "monochrome"), (30, 30, 30), (90, 90, 90), "#dddddd"),
    (("outdoor", "park", "garden", "forest", "green"), (170, 210, 160), (60, 110, 70), "#b5e3a1"),
    (("beach", "ocean", "sea", "coast", "lake"), (150, 210, 240), (230, 215, 180), "#8fd3ff"),
    (("office", "boardroom", "corporate", "conference"), (70, 85, 105), (30, 40, 55), "#9fb7d9"),
    (("studio", "backdrop", "headshot", "seamless"), (200, 200, 205), (120, 120, 128), "#f0f0f0"),
)
_DEFAULT_PALETTE = ((120, 130, 150), (50, 55, 70), "#c8d0e0")


class Mock(Provider):
    """Offline provider; no key, no network, no cost."""

    spec = PROVIDERS["mock"]

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        base_url: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(client, base_url=base_url, options=options)  # type: ignore[arg-type]
        self._attempts: dict[str, int] = {}
        """Attempts per request fingerprint, so a retry of a failed attempt can succeed."""

    async def submit(self, req: GenerationRequest, key: ApiKey) -> Finished:
        """Make the picture after ``latency`` seconds, or fail transiently at ``fail_rate``."""
        fingerprint = req.fingerprint()
        attempt = self._attempts.get(fingerprint, 0) + 1
        self._attempts[fingerprint] = attempt
        seed = int(self.options.get("seed", 0))
        rng = random.Random(f"{seed}:{fingerprint}:{attempt}")  # noqa: S311 - not crypto
        latency = float(self.options.get("latency", 0.0))
        if latency > 0:
            await asyncio.sleep(latency)
        if rng.random() < float(self.options.get("fail_rate", 0.0)):
            raise Transient(
                f"simulated outage (attempt {attempt})", provider=self.name, model=req.model
            )
        image_seed = req.seed if req.seed is not None else rng.randrange(2**31)
        data = await asyncio.to_thread(_render, req, image_seed)
        return Finished(
            images=(ImageData(data=data, mime="image/jpeg"),),
            remote_id=f"mock-{fingerprint[:12]}",
            seed=image_seed,
        )

    async def probe(self, key: ApiKey) -> KeyStatus:
        """The mock needs no key; it is always ready."""
        return KeyStatus(ok=True, balance="free")


def _render(req: GenerationRequest, seed: int) -> bytes:
    """Draw one portrait for ``req``: the reference crop graded and framed by the prompt."""
    from PIL import Image, ImageDraw, ImageFilter, ImageOps

    width, height = req.width, req.height
    top, bottom, tint = _palette(req.prompt)
    canvas = _gradient(width, height, top, bottom)
    rng = random.Random(seed)  # noqa: S311 - not crypto

    face_h = int(height * 0.74)
    face_w = int(face_h * 0.8)
    if req.references:
        ref = Image.open(io.BytesIO(req.references[0].data)).convert("RGB")
        face = ImageOps.fit(ref, (face_w, face_h), centering=(0.5, 0.4))
        graded = ImageOps.colorize(ImageOps.grayscale(face), black="#101018", white=tint)
        face = Image.blend(face, graded, 0.45)
    else:
        face = _gradient(face_w, face_h, bottom, top)
    mask = Image.new("L", (face_w, face_h), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (0, 0, face_w - 1, face_h - 1), radius=face_w // 10, fill=255
    )
    mask = mask.filter(ImageFilter.GaussianBlur(3))
    x = (width - face_w) // 2 + rng.randint(-width // 40, width // 40)
    y = int(height * 0.05)
    pad = 40
    shadow = Image.new("L", (face_w + 2 * pad, face_h + 2 * pad), 0)
    shadow.paste(mask, (pad, pad))
    shadow = shadow.filter(ImageFilter.GaussianBlur(14)).point(lambda v: v * 6 // 10)
    canvas.paste((0, 0, 0), (x - pad + 8, y - pad + 12), shadow)
    canvas.paste(face, (x, y), mask)
    _caption(canvas, req, seed)
    out = io.BytesIO()
    canvas.save(out, format="JPEG", quality=86, optimize=True)
    return out.getvalue()


def _palette(prompt: str) -> tuple[tuple[int, int, int], tuple[int, int, int], str]:
    words = set(re.findall(r"[a-z]+(?:-[a-z]+)*", prompt.lower()))
    for keys, top, bottom, tint in _PALETTES:
        if words.intersection(keys):
            return top, bottom, tint
    return _DEFAULT_PALETTE


def _gradient(
    width: int, height: int, top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> Image.Image:
    from PIL import Image

    column = Image.linear_gradient("L").resize((1, height))
    base = Image.new("RGB", (width, height), bottom)
    over = Image.new("RGB", (width, height), top)
    return Image.composite(base, over, column.resize((width, height)))


def caption_layout(width: int, height: int) -> tuple[int, int, int, int, int]:
    """Where the caption goes: ``(font size, first line y, line height, lines, footer y)``.

    ``lines`` (1-3) is as many prompt lines as fit between the band's top and the footer, so
    the two never overlap whatever the image's size (a 768-px-high wide image has room for
    one or two). Pixels.
    """
    size = max(12, width // 40)
    line_h = int(size * 1.3)
    footer_y = height - int(size * 1.6)
    y = int(height * 0.82) + size // 2
    lines = max(1, min(3, (footer_y - y - size // 4) // line_h))
    return size, y, line_h, lines, footer_y


def _caption(canvas: Image.Image, req: GenerationRequest, seed: int) -> None:
    """The prompt (cut at a word, with an ellipsis) above a footer line, on a dark band."""
    from PIL import ImageDraw

    from pinglass.fonts import fit_lines, load_font

    width, height = canvas.size
    draw = ImageDraw.Draw(canvas, "RGBA")
    draw.rectangle((0, int(height * 0.82), width, height), fill=(0, 0, 0, 170))
    size, y, line_h, lines, footer_y = caption_layout(width, height)
    font = load_font(size)
    small = load_font(max(10, int(size * 0.8)))
    for line in fit_lines(req.prompt, font, width - 2 * size, lines):
        draw.text((size, y), line, fill=(255, 255, 255, 255), font=font)
        y += line_h
    ref = req.references[0].name if req.references else "no reference"
    digest = hashlib.sha256(req.prompt.encode()).hexdigest()[:6]
    footer = f"MOCK · ref {ref} · seed {seed} · {digest}"
    for line in fit_lines(footer, small, width - 2 * size, 1):
        draw.text((size, footer_y), line, fill=(200, 200, 200, 255), font=small)
