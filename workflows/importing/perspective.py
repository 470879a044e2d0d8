"""A page photographed at an angle, squared up again (``squared``).

A phone held over a desk is rarely square to the page: the far edge of the sheet comes out narrower than the near
one (keystone), and the table's ruling lines, straight still, no longer run parallel — its vertical lines lean
towards a point above or below the page, more the further they are from the middle. Leaning, they are no long dark
runs down the image, and the table is lost (``scans`` finds a table by such runs). A plane seen from anywhere is
the plane seen square on under one projective transform; its lines tell which: the lines of one family (the
table's verticals, or its horizontals) meet at one vanishing point, and their slope changes evenly with their place
across the page. Both families are measured, the line through the two vanishing points is sent to infinity (the
families become parallel), and a last linear map stands them upright and level.

Lines are found as a Hough transform would find them, with Pillow's own operations: the ink, shrunk, is sheared by
each slope in turn so that lines of that slope stand straight, and summed down its columns; a line of that slope
is a peak. A peak is a rule only where the ink runs along it without a break for much of its length: a line of
text can be as dark as a thin rule, but it breaks between words. The horizontal rules are found first, across the
whole page; the vertical ones between the top and bottom rules. The two families' slopes against their places are
straight lines (a rule measured askew, or crossing a stronger one, is left out). A page whose lines already run
parallel (a scan, or a photograph taken square on) is left exactly as it is; so is a page without a ruled table:
nothing on it tells how it was photographed. The squared page keeps the print at least as large as the photograph
shows it at its nearest edge.
"""

from __future__ import annotations

import math

from PIL import Image, ImageChops

SHRINK = 4  # the ink is measured at a quarter of the page's size
SLANT = 0.15  # the steepest slope searched (8.5°): a page photographed 15 % narrower at its far edge leans 0.1
STEP = 0.005  # slopes measured this far apart
CANDIDATE = 0.3  # a line is looked at where it is this strong against the strongest of its family
LONG = 0.3  # a rule runs dark for this much of the page's width (a horizontal one), of the table's height (vertical)
GAP = 3  # pixels (at half size) a rule may be broken by and still run on: a speck, a seal's edge, a JPEG's blur
SIDE = 6  # pixels (at half size) from a rule to the paper beside it: further than its width, nearer than the text
CONVERGING = 0.015  # slopes differing by this much across the page: it was photographed at an angle
ENLARGE = 1.15  # the squared page's print against the photograph's largest (one letter in 25 cells misread at 1.0)
STRAY = 3  # a line leaning further than this (pixels over its length) from its family's: no family, left alone

Line = tuple[float, float]  # (place across the measured band at its middle, slope): x = place + slope·(y − middle)


def squared(image: Image.Image) -> Image.Image:
    """``image`` (grey, its lines of print level) as photographed square on, or itself when its ruling lines run
    parallel already or it has no ruled table."""
    fine = image.reduce(2).point(lambda p: 255 if p < 200 else 0)  # (a pixel is ink where print darkens it at all)
    ink = fine.reduce(SHRINK // 2)
    turn = Image.Transpose.TRANSPOSE
    across = _lines(ink.transpose(turn), fine.transpose(turn))  # (y at mid-width, dy/dx)
    if len(across) < 2:
        return image
    top = min(place - abs(slope) * ink.width / 2 for place, slope in across)
    bottom = max(place + abs(slope) * ink.width / 2 for place, slope in across)
    top, bottom = max(0, math.floor(top)), min(ink.height, math.ceil(bottom) + 1)
    if bottom - top < 2:
        return image
    band = (0, top, ink.width, bottom)
    down = _lines(ink.crop(band), fine.crop(tuple(2 * edge for edge in band)))  # (x at the band's middle, dx/dy)
    if len(down) < 2:
        return image
    tilt_down, lean_down = _fit(down, bottom - top)
    tilt_across, lean_across = _fit(across, ink.width)
    if None in (tilt_down, tilt_across):
        return image
    if abs(tilt_down) * ink.width < CONVERGING and abs(tilt_across) * ink.height < CONVERGING:
        return image
    # in the page's own pixels: verticals x = m + (tilt·m + lean)(y − y0), horizontals y = n + (tilt·n + lean)(x − x0)
    y0, x0 = (top + bottom) / 2 * SHRINK, ink.width / 2 * SHRINK
    forward = _rectifying((tilt_down / SHRINK, lean_down, y0), (tilt_across / SHRINK, lean_across, x0))
    corners = [(x, y) for x in (0, image.width) for y in (0, image.height)]
    if min(forward[2][0] * x + forward[2][1] * y + forward[2][2] for x, y in corners) < 0.5:
        return image  # (the horizon comes near or across the page: no photograph of a page was taken so)
    return _warp(image, _sharpest(forward, image.width, image.height))


def _lines(ink: Image.Image, fine: Image.Image) -> list[Line]:
    """The near-vertical rules of ``ink`` (white on black, shrunk): each as its place at mid-height and its slope.
    Candidates are the peaks of the sheared column sums (two neighbouring columns: a thin rule straddles two); a
    candidate is a rule where ``fine`` (the same ink at twice the size) is dark along it without a break for much of
    its length — a column of text, dark as it may be, breaks at every line's end."""
    width, height = ink.size
    rows = ink.reduce((1, 2))  # (the sums need no more rows along a line: half the shearing)
    pad = math.ceil(SLANT * height / 2) + 1
    steps = round(SLANT / STEP)
    found: list[tuple[int, float, float]] = []
    for i in range(-steps, steps + 1):
        slope = i * STEP
        sheared = rows.transform((width + 2 * pad, rows.height), Image.Transform.AFFINE,
                                 (1, 2 * slope, -pad - slope * rows.height, 0, 1, 0), Image.Resampling.NEAREST,
                                 fillcolor=0)
        column = sheared.resize((sheared.width, 1), Image.Resampling.BOX).tobytes()
        pairs = [a + b for a, b in zip(column, column[1:], strict=False)]
        for x in range(1, len(pairs) - 1):
            if pairs[x] and pairs[x] >= pairs[x - 1] and pairs[x] > pairs[x + 1]:
                found.append((pairs[x], x - pad + 0.5, slope))
    if not found:
        return []
    least = max(strength for strength, _, _ in found) * CANDIDATE
    candidates: list[Line] = []
    for _, place, slope in sorted(peak for peak in found if peak[0] >= least)[::-1]:  # strongest first
        # (one line, seen at several slopes, once; and rules of one family never cross on the page: a line crossing a
        # stronger one is that one, seen askew)
        if all(abs(place - other) > abs(slope - lean) * height / 2 + 3 for other, lean in candidates):
            candidates.append((place, slope))
    wide = fine  # (a line measured a pixel or two off is still followed)
    for shift in (-2, -1, 1, 2):
        wide = ImageChops.lighter(wide, ImageChops.offset(fine, shift, 0))
    dark, ink_at = wide.tobytes(), fine.tobytes()
    return [line for line in candidates if _longest_run(dark, ink_at, fine.size, line) >= LONG * fine.height]


def _longest_run(dark: bytes, ink: bytes, size: tuple[int, int], line: Line) -> int:
    """How far ``line`` (in the units of the shrunk ink) runs as a rule runs on the ink at twice that size (``ink``,
    its pixels as bytes) — dark (``dark``: the same ink widened by a pixel or two), with paper on either side (a
    dark patch, such as the edge of a page in shadow, is no line) — without a break of more than GAP."""
    width, height = size
    place, slope = line
    longest = run = gap = 0
    for y in range(height):
        x = round(2 * place + slope * (y - height / 2))
        row = y * width
        if SIDE <= x < width - SIDE and dark[row + x] and not ink[row + x - SIDE] and not ink[row + x + SIDE]:
            run, gap = run + gap + 1, 0
            longest = max(longest, run)
        elif gap < GAP and run:
            gap += 1
        else:
            run = gap = 0
    return longest


def _fit(lines: list[Line], length: int) -> tuple[float | None, float]:
    """The straight line through the lines' (place, slope): slope = tilt·place + lean. Lines of one family seen in
    perspective lie on one. A slope is measured to within a pixel or two over the line's ``length``; a line further
    off (a rule misread, a dark column taken for one) is left out, as long as three remain to agree. ``None`` when
    they do not agree (then they are no family of one plane's rules)."""
    lines = list(lines)
    while True:
        n = len(lines)
        mean_place = sum(place for place, _ in lines) / n
        mean_slope = sum(slope for _, slope in lines) / n
        spread = sum((place - mean_place) ** 2 for place, _ in lines)
        tilt = sum((place - mean_place) * (slope - mean_slope) for place, slope in lines) / spread if spread else 0.0
        lean = mean_slope - tilt * mean_place
        worst = max(lines, key=lambda line: abs(line[1] - tilt * line[0] - lean))
        if abs(worst[1] - tilt * worst[0] - lean) * length <= STRAY:
            return tilt, lean
        if n <= 3:
            return None, 0.0
        lines.remove(worst)


Matrix = list[list[float]]


def _rectifying(down: tuple[float, float, float], across: tuple[float, float, float]) -> Matrix:
    """The projective map that makes the vertical lines vertical and the horizontal ones horizontal.
    ``down``: (tilt, lean, y0) of x = m + (tilt·m + lean)(y − y0); ``across``: (tilt, lean, x0) of
    y = n + (tilt·n + lean)(x − x0). Each family meets at its vanishing point (homogeneous); the line through both
    is sent to infinity, where the families' directions are then straightened by a linear map."""
    (a, b, y0), (c, d, x0) = down, across
    vertical = (b, 1 - a * y0, -a)  # (the vanishing points, each signed to point down and right)
    horizontal = (1 - c * x0, d, -c)
    horizon = _cross(vertical, horizontal)
    project = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [horizon[0] / horizon[2], horizon[1] / horizon[2], 1.0]]
    (hx, hy), (vx, vy) = _unit(horizontal[:2]), _unit(vertical[:2])
    determinant = hx * vy - vx * hy
    straighten = [[vy / determinant, -vx / determinant, 0.0], [-hy / determinant, hx / determinant, 0.0],
                  [0.0, 0.0, 1.0]]
    return _times(straighten, project)


def _sharpest(forward: Matrix, width: int, height: int) -> Matrix:
    """``forward`` scaled along each axis so that no print comes out smaller than the photograph shows it where it
    shows it largest (the near edge): read smaller, a two-line cell's letters are misread, and the far edge's print
    is already the smallest; and a little larger still (``ENLARGE``), as print resampled reads better with more
    pixels to a letter. Which proportions the page had is not told by its lines (a square and a rectangle have
    the same lines); a photograph taken at an angle shows them about right where it is sharpest."""
    def stretch(x: float, y: float) -> tuple[float, float]:
        here = _apply(forward, x, y)
        return _apply(forward, x + 1, y)[0] - here[0], _apply(forward, x, y + 1)[1] - here[1]

    corners = [stretch(x, y) for x in (0, width) for y in (0, height)]
    across, down = min(a for a, _ in corners) / ENLARGE, min(d for _, d in corners) / ENLARGE
    return _times([[1 / across, 0.0, 0.0], [0.0, 1 / down, 0.0], [0.0, 0.0, 1.0]], forward)


def _warp(image: Image.Image, forward: Matrix) -> Image.Image:
    """``image`` under ``forward`` (page → square page), the whole page kept, on white."""
    corners = [_apply(forward, x, y) for x in (0, image.width) for y in (0, image.height)]
    left, top = min(x for x, _ in corners), min(y for _, y in corners)
    width = min(math.ceil(max(x for x, _ in corners) - left), 2 * image.width)
    height = min(math.ceil(max(y for _, y in corners) - top), 2 * image.height)
    placed = _times([[1.0, 0.0, -left], [0.0, 1.0, -top], [0.0, 0.0, 1.0]], forward)
    back = _inverse(placed)
    coefficients = [value / back[2][2] for row in back for value in row][:8]
    return image.transform((width, height), Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC,
                           fillcolor=255)


def _cross(p: tuple[float, float, float], q: tuple[float, float, float]) -> tuple[float, float, float]:
    return p[1] * q[2] - p[2] * q[1], p[2] * q[0] - p[0] * q[2], p[0] * q[1] - p[1] * q[0]


def _unit(vector: tuple[float, float]) -> tuple[float, float]:
    length = math.hypot(*vector)
    return vector[0] / length, vector[1] / length


def _times(m: Matrix, n: Matrix) -> Matrix:
    return [[sum(m[i][k] * n[k][j] for k in range(3)) for j in range(3)] for i in range(3)]


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    w = m[2][0] * x + m[2][1] * y + m[2][2]
    return (m[0][0] * x + m[0][1] * y + m[0][2]) / w, (m[1][0] * x + m[1][1] * y + m[1][2]) / w


def _inverse(m: Matrix) -> Matrix:
    (a, b, c), (d, e, f), (g, h, i) = m
    adjugate = [[e * i - f * h, c * h - b * i, b * f - c * e],
                [f * g - d * i, a * i - c * g, c * d - a * f],
                [d * h - e * g, b * g - a * h, a * e - b * d]]
    determinant = a * adjugate[0][0] + b * adjugate[1][0] + c * adjugate[2][0]
    return [[value / determinant for value in row] for row in adjugate]
