"""The sheet of paper in a photograph: a page photographed lying on a desk is cut out of the desk around it.

A phone photographs the desk with the page. Left in, the desk does two kinds of harm: the light evening
(``scans.evenly_lit``) takes the desk for paper in shadow, so that a band of desk along the sheet's edges turns
black — a frame of "ink" as long as the page, which the ruling-line search takes for the table's rules, and the
table is lost; and the page's resolution, guessed from the photo's long side as if it were the sheet's, comes out
too high, so that small print is not enlarged enough to be read.

The sheet is found on a small copy: paper is brighter than the desk (the threshold between them is Otsu's, the one
that best splits the copy's grey levels in two), the print on it is closed over (a dark spot smaller than a few
millimetres is paper). There is a desk when part of the photo's border is darker than paper and the two meet at an
edge: a shadow darkens the border too, up to half of it, but falls off smoothly. The sheet is the extent of the
rows and columns it covers for more than a twentieth of their length (a bright speck on the desk covers less). The
photo is cut to it; what is left of the desk inside the cut — beside the corners of a sheet photographed at an
angle, lying crooked, or taken so close that the desk shows only there — is made white, up to a millimetre into
the sheet's blank margin, so that no edge of the sheet is left to pass for a ruling line. A photo with no desk in
it (a scan, a photo of the sheet alone, a white desk) is left exactly as it is. A PDF's page is looked at the same
way: a phone's "scan to PDF" may keep the desk too.
"""

from __future__ import annotations

from PIL import Image, ImageChops, ImageDraw, ImageFilter

SMALL = 300  # pixels: the long side of the copy the sheet is looked for on
CLOSE = 5  # pixels of the small copy (about 5 mm of an A4 sheet): print narrower than this is closed over
FRAME = 0.03  # of the photo's width and height: the border looked at for a desk
DESK = 0.05  # the part of that border darker than paper above which there may be desk in the photo
SHARP = 40  # grey levels: how much the grey changes within 3 pixels where paper meets the dark (the edge of a sheet
# on a desk: 100–160; a shadow falling off across the paper: 1–3)
COVERED = 0.05  # the part of a row or column the sheet covers, for that row or column to be on the sheet
NARROWEST = 30  # pixels of the small copy (a tenth of its long side): a photo narrower than this holds no sheet
SHEET_AT_LEAST = 0.3  # of the photo's width and height: smaller than this, what was found is no sheet


def on_the_sheet(image: Image.Image) -> Image.Image:
    """The photo (any mode) cut to the sheet of paper in it, the desk left inside the cut made white; the same
    object when no desk is seen around the edges."""
    scale = SMALL / max(image.size)
    small = image.convert("L").resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                                      Image.Resampling.BOX)
    if min(small.size) < NARROWEST:
        return image  # a strip, not a sheet: no border and inside to tell apart
    cut = _otsu(small.histogram())
    paper = small.point(lambda v: 255 if v > cut else 0).filter(ImageFilter.MaxFilter(CLOSE)) \
        .filter(ImageFilter.MinFilter(CLOSE))
    if _dark_border(paper) < DESK or _edge_sharpness(small, paper) < SHARP:
        return image
    columns = _covered(paper.resize((paper.width, 1), Image.Resampling.BOX).tobytes())
    rows = _covered(paper.resize((1, paper.height), Image.Resampling.BOX).tobytes())
    if columns is None or rows is None or columns[1] - columns[0] < SHEET_AT_LEAST * paper.width \
            or rows[1] - rows[0] < SHEET_AT_LEAST * paper.height:
        return image
    box = (columns[0] + 1, rows[0] + 1, columns[1] - 1, rows[1] - 1)  # a pixel inside: the sheet's edge is no rule
    desk = _desk_inside(paper.crop(box))
    sheet = image.crop(tuple(round(v / scale) for v in box))
    if desk.getbbox() is not None:
        white = Image.new(sheet.mode, sheet.size, "white")
        sheet = Image.composite(white, sheet, desk.resize(sheet.size, Image.Resampling.BILINEAR)
                                .point(lambda v: 255 if v >= 128 else 0))
    return sheet


def _otsu(histogram: list[int]) -> int:
    """The grey level that splits a histogram into two classes as far apart as can be (Otsu's method)."""
    total = sum(histogram)
    weighted = sum(level * count for level, count in enumerate(histogram))
    below = below_weighted = 0
    best, cut = -1.0, 127
    for level, count in enumerate(histogram):
        below += count
        below_weighted += level * count
        above = total - below
        if not below or not above:
            continue
        between = below * above * (below_weighted / below - (weighted - below_weighted) / above) ** 2
        if between > best:
            best, cut = between, level
    return cut


def _dark_border(paper: Image.Image) -> float:
    """The part of the photo's outer border (FRAME of its size) that is not paper."""
    width, height = paper.size
    band_x, band_y = max(1, round(width * FRAME)), max(1, round(height * FRAME))
    inside = Image.new("L", paper.size, 0)
    ImageDraw.Draw(inside).rectangle((band_x, band_y, width - 1 - band_x, height - 1 - band_y), fill=255)
    border = ImageChops.lighter(paper, inside)  # the inside counted as paper
    dark = border.histogram()[0]
    return dark / max(1, width * height - (width - 2 * band_x) * (height - 2 * band_y))


def _edge_sharpness(small: Image.Image, paper: Image.Image) -> int:
    """The median, over the dark pixels next to paper, of how much the grey changes around each (within 3 pixels):
    a desk meets the sheet at an edge, a shadow falls off smoothly; 0 where no dark meets paper."""
    change = ImageChops.subtract(small.filter(ImageFilter.MaxFilter(3)), small.filter(ImageFilter.MinFilter(3)))
    meeting = ImageChops.subtract(paper.filter(ImageFilter.MaxFilter(3)), paper)  # dark, next to paper
    counts = change.histogram(mask=meeting.point(lambda v: 255 if v else 0))
    half, seen = sum(counts) / 2, 0
    for level, count in enumerate(counts):
        seen += count
        if count and seen >= half:
            return level
    return 0


def _covered(profile: bytes) -> tuple[int, int] | None:
    """The first and last place (plus one) where the sheet covers more than COVERED of the row or column."""
    on = [i for i, v in enumerate(profile) if v > 255 * COVERED]
    return (on[0], on[-1] + 1) if on else None


def _desk_inside(paper: Image.Image) -> Image.Image:
    """What of the cut is desk: the dark that reaches its edge (print inside the sheet does not), white on black."""
    marked = paper.copy()  # the desk is painted 128 as it is found
    width, height = paper.size
    edge = [(x, y) for x in range(width) for y in (0, height - 1)] + \
           [(x, y) for y in range(height) for x in (0, width - 1)]
    for point in edge:
        if marked.getpixel(point) == 0:
            ImageDraw.floodfill(marked, point, 128)
    desk = marked.point(lambda v: 255 if v == 128 else 0)
    return desk.filter(ImageFilter.MaxFilter(3))  # a pixel into the sheet: its edge, between the two, is desk too
