"""A page as a phone photographs it, for the scan tests and the OCR bench (bench/ocr_bench.py): in uneven light, at
an angle. Pillow only; the page image in, the photograph out."""

from __future__ import annotations

import math

from PIL import Image, ImageChops


def in_shadow(image: Image.Image, darkest: int, across: bool = True) -> Image.Image:
    """A page as a phone photographs it on a desk: the light falling off from white on one edge to ``darkest`` grey
    on the other (across the page or down it)."""
    ramp = Image.linear_gradient("L")  # black at the top, white at the bottom
    ramp = (ramp.rotate(90) if across else ramp).resize(image.size)
    return ImageChops.multiply(image, ramp.point(lambda v: darkest + (255 - darkest) * v // 255).convert(image.mode))


def at_an_angle(image: Image.Image, narrower: float, far: str) -> Image.Image:
    """The page as a phone held at an angle over its middle photographs it (a pinhole camera 1.2 page heights away,
    the page's middle at the scale of the scan): tilted so that the ``far`` edge of the sheet ("top", "bottom" or
    "left") comes out ``narrower`` (a fraction) than the near one; its lines straight, no longer parallel, the print
    nearer the far edge smaller. (The near edge's corners may leave the frame, as they do when a phone is held
    close; the table stays in it.)"""
    turn = {"top": (Image.Transpose.FLIP_TOP_BOTTOM, Image.Transpose.FLIP_TOP_BOTTOM),
            "left": (Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270)}.get(far)
    if turn:
        image = image.transpose(turn[0])
    width, height = image.size
    distance = 1.2 * height
    tilt = math.asin(narrower / (2 - narrower) * 2 * distance / height)  # (far / near width = 1 − narrower)
    cos, sin = math.cos(tilt), math.sin(tilt)
    # the photograph's (x, y) shows the page's middle + (cos·(x − cx), y − cy) / w, w = cos − sin·(y − cy) / distance:
    # the bottom edge is the far one
    cx, cy = width / 2, height / 2
    w0, h1 = cos + sin * cy / distance, sin / distance
    coefficients = (cos, -cx * h1, cx * w0 - cos * cx, 0, 1 - cy * h1, cy * w0 - cy, 0, -h1)
    image = image.transform(image.size, Image.Transform.PERSPECTIVE, [c / w0 for c in coefficients],
                            Image.Resampling.BICUBIC, fillcolor="white")
    return image.transpose(turn[1]) if turn else image


WOOD = (120, 86, 58)


def on_a_desk(image: Image.Image, fill: float, desk: tuple[int, int, int] = WOOD, degrees: float = 0.0
              ) -> Image.Image:
    """The sheet lying on a desk as a phone photographs it from above: the sheet, turned by ``degrees`` as it lies,
    ``fill`` (a fraction) of the photo's width and height, in the middle of the desk's colour."""
    sheet = image.convert("RGB")
    lying = Image.new("L", sheet.size, 255)
    if degrees:
        sheet = sheet.rotate(degrees, Image.Resampling.BICUBIC, expand=True)
        lying = lying.rotate(degrees, Image.Resampling.BICUBIC, expand=True)
    photo = Image.new("RGB", (round(image.width / fill), round(image.height / fill)), desk)
    photo.paste(sheet, ((photo.width - sheet.width) // 2, (photo.height - sheet.height) // 2), lying)
    return photo
