"""Hard synthetic test photos ("pages"): MNIST digits handwritten on sheets photographed on a desk.

edge_runtime/synthetic.py makes easy one-row photos; these look like the real photos the
runtime fails on: tilted sheets with their edges and the desk in view, many rows, two numbers
on a row, columns, touching digits, big digits filling the frame, tight crops, scanned amounts,
marker and ballpoint, ruled and squared paper, shadows, and digit-free scenes that must yield
nothing. Every digit comes with its ink box in the photo. Needs only numpy and OpenCV.
"""

import collections
import math

import cv2
import numpy as np

from edge_runtime import synthetic
from edge_runtime import synthetic_layout as layout
from edge_runtime import synthetic_scenes as scenes
from edge_runtime import synthetic_surfaces as surfaces

Page = collections.namedtuple("Page", ["image", "lines", "boxes", "labels", "kind"])
Page.__doc__ = """A BGR uint8 photo; `lines`: the digits of each written line in reading order;
`labels`: the same digits flat (== "".join(lines)); `boxes`: each digit's (x, y, w, h) ink box;
`kind`: the scene type (one of KINDS)."""

DIGIT_KINDS = scenes.DIGIT_KINDS
NO_DIGIT_KINDS = scenes.NO_DIGIT_KINDS
KINDS = DIGIT_KINDS + NO_DIGIT_KINDS
EDGE = 2  # pixels a digit's box keeps from the border, except where touching it is the point


def sheet_geometry(rng, scene):
    """The sheet's canvas size and the homography that lays it into the photo."""
    width, height = scene.frame
    if scene.placement in ("flat", "none"):
        return (width, height), np.eye(3)
    quad = scenes.sheet_quad(rng, scene)
    size = (int(np.linalg.norm(quad[1] - quad[0])), int(np.linalg.norm(quad[3] - quad[0])))
    source = np.float32([[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]])
    return size, cv2.getPerspectiveTransform(source, quad.astype(np.float32))


def writing_region(size, margin):
    return (margin * size[0], margin * size[1], (1 - margin) * size[0], (1 - margin) * size[1])


def frame_box(glyph, homography):
    """The (x, y, w, h) box of the glyph's ink after the warp (through its convex hull)."""
    points = cv2.findNonZero((glyph.alpha > layout.INK).astype(np.uint8))
    hull = cv2.convexHull(points).astype(np.float64) + np.float64(glyph.corner)
    warped = cv2.perspectiveTransform(hull.reshape(-1, 1, 2), homography).reshape(-1, 2)
    x0, y0 = np.floor(warped.min(axis=0))
    x1, y1 = np.floor(warped.max(axis=0)) + 1
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def inside(box, size, edge):
    x, y, w, h = box
    return x >= edge and y >= edge and x + w <= size[0] - edge and y + h <= size[1] - edge


def visible_lines(glyphs, homography, canvas, frame, edge=EDGE):
    """Keep only whole lines whose every digit lies on the sheet and inside the photo.

    A line cut by the border is not drawn at all, so the truth never names a digit the
    photo shows only in part.
    """
    boxes = [frame_box(g, homography) for g in glyphs]
    on_sheet = [inside(frame_box(g, np.eye(3)), canvas, edge) for g in glyphs]
    bad = {g.line for g, b, s in zip(glyphs, boxes, on_sheet) if not (s and inside(b, frame, edge))}
    kept = [(g, b) for g, b in zip(glyphs, boxes) if g.line not in bad]
    return [g for g, _ in kept], [b for _, b in kept]


def truth_lines(glyphs):
    """Digits of each line in reading order (glyphs are already in reading order)."""
    lines = collections.OrderedDict()
    for glyph in glyphs:
        lines[glyph.line] = lines.get(glyph.line, "") + str(glyph.label)
    return list(lines.values())


def pick_digits(rng, images, labels, count):
    chosen = rng.integers(0, len(images), size=count)
    return images[chosen], labels[chosen]


def write_digits(rng, images, labels, scene, canvas):
    """Lay out the scene's rows on the canvas; returns (glyphs, baselines, digit height)."""
    if not scene.rows:
        return [], [], 0.0
    digits, names = pick_digits(rng, images, labels, layout.digit_count(scene.rows))
    return layout.place_rows(rng, digits, names, scene.rows, writing_region(canvas, scene.margin), scene.hand)


def draw_scene(rng, images, labels, scene, kind):
    """Render one scene description into a Page."""
    canvas, homography = sheet_geometry(rng, scene)
    sheet = surfaces.paper(rng, canvas, scene.paper)
    glyphs, baselines, height = write_digits(rng, images, labels, scene, canvas)
    glyphs, boxes = visible_lines(glyphs, homography, canvas, scene.frame)
    scenes.print_rules(rng, sheet, scene, baselines, height, glyphs)
    ink = scenes.ink_reflectance(rng, scene.ink)
    for glyph in glyphs:
        surfaces.apply_ink(sheet, glyph.alpha, ink, glyph.corner)
    scenes.add_marks(rng, sheet, scene)
    photo = place_sheet(rng, sheet, scene, homography)
    return finish(rng, photo, scene, glyphs, boxes, kind)


def place_sheet(rng, sheet, scene, homography):
    """The sheet on its desk (or the desk alone, or the sheet filling the photo)."""
    desk = surfaces.desk(rng, scene.frame)
    if scene.placement == "none":
        return desk
    if scene.placement == "flat":
        return sheet
    return surfaces.warp_onto(sheet, desk, homography)


def finish(rng, photo, scene, glyphs, boxes, kind):
    """Light, shadow, camera degradation, and the optional enlargement to a big photo."""
    photo *= surfaces.light_field(rng, photo.shape, scene.light, scene.shadow)
    image = surfaces.camera(rng, photo, scene.noise, scene.blur, scene.jpeg)
    if scene.upscale > 1:
        image = enlarge(image, scene.upscale)
        boxes = [tuple(scene.upscale * v for v in box) for box in boxes]
    labels = [g.label for g in glyphs]
    return Page(image, truth_lines(glyphs), [tuple(b) for b in boxes], labels, kind)


def enlarge(image, factor):
    """A phone's 12 MP photo: rendered at a fraction of the size (fast), enlarged, JPEG again."""
    big = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_LINEAR)
    return synthetic.jpeg_roundtrip(big, 90)


def draw_big_digit(rng, images, labels):
    """One digit 60-95 % of the frame high, marker on paper filling the frame, maybe at its edge."""
    scene = scenes.base_scene(rng, placement="flat", hand=scenes.random_hand(rng, stroke="marker"),
                              ink=scenes.choose(rng, ("black", "blue")), blur=(0.3, 2.0), light=0.6)
    width, height = scene.frame
    digit, label = pick_digits(rng, images, labels, 1)
    size = rng.uniform(0.6, 0.95) * height
    while True:  # the rotated, fattened ink must still fit inside the frame
        alpha = layout.render(digit[0], size, rng.uniform(-8, 8), scene.hand.stroke)
        x0, y0, x1, y1 = layout.ink_bounds(alpha)
        if y1 - y0 <= 0.95 * height and x1 - x0 <= width - 2:
            break
        size *= 0.95
    left, top = (edge_position(rng, limit, extent) for limit, extent in ((width, x1 - x0), (height, y1 - y0)))
    glyph = layout.Glyph(alpha, (left - x0, top - y0), int(label[0]), 0)
    sheet = surfaces.paper(rng, scene.frame, scene.paper)
    surfaces.apply_ink(sheet, alpha, scenes.ink_reflectance(rng, scene.ink), glyph.corner)
    return finish(rng, sheet, scene, [glyph], [frame_box(glyph, np.eye(3))], "big-digit")


def edge_position(rng, limit, extent):
    """Where the ink starts along one axis: anywhere, or within a few pixels of either edge."""
    room = limit - extent - 1
    if rng.random() < 0.4:
        return int(1 + min(room - 1, rng.integers(0, 6))) if rng.random() < 0.5 else int(max(1, room - rng.integers(0, 6)))
    return int(rng.integers(1, max(2, room + 1)))


def draw_tight_crop(rng, images, labels):
    """A digit cut out to its ink box plus 0-2 px: 20-60 px high, as a detector would pass on."""
    digit, label = pick_digits(rng, images, labels, 1)
    pad = int(rng.integers(0, 3))
    tall = int(rng.integers(20, 61)) - 2 * pad
    alpha = layout.render(digit[0], tall, rng.uniform(-8, 8), scenes.choose(rng, ("pen", "thin", "marker")))
    x0, y0, x1, y1 = layout.ink_bounds(alpha)
    wide = int(np.clip(round((x1 - x0) * tall / (y1 - y0)), 1, 60 - 2 * pad))
    alpha = cv2.resize(alpha[y0:y1, x0:x1], (wide, tall), interpolation=cv2.INTER_AREA)
    size = (wide + 2 * pad, tall + 2 * pad)
    sheet = surfaces.paper(rng, size, scenes.choose(rng, surfaces.PAPERS, (0.6, 0.25, 0.15)))
    surfaces.apply_ink(sheet, alpha, scenes.ink_reflectance(rng, scenes.random_ink(rng)), (pad, pad))
    scene = scenes.Scene(frame=size, placement="flat", light=0.2, blur=(0.0, 0.6), jpeg=(60, 95))
    glyph = layout.Glyph(alpha, (pad, pad), int(label[0]), 0)
    return finish(rng, sheet, scene, [glyph], [(pad, pad, wide, tall)], "tight-crop")


SPECIAL = {"big-digit": draw_big_digit, "tight-crop": draw_tight_crop}
WEIGHTS = dict({kind: 1.0 for kind in KINDS}, **{
    "page-on-desk": 3.0, "sticky-note": 2.0, "paper-fills-frame": 2.0, "touching": 1.5, "ruled-page": 1.5,
    "marker-row": 1.5, "big-digit": 1.5, "tight-crop": 1.5, "large-photo": 0.25})


def draw_kind(rng, kind, kinds):
    weights = [WEIGHTS[k] for k in kinds]
    return kind if kind is not None else scenes.choose(rng, kinds, weights)


def make_page(rng, images, labels, kind=None):
    """One synthetic page of `kind` (drawn at random, about a fifth digit-free, when None)."""
    kind = draw_kind(rng, kind, KINDS)
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}, expected one of {KINDS}")
    if kind in SPECIAL:
        return SPECIAL[kind](rng, images, labels)
    for _ in range(8):  # a digit kind whose every line fell off the photo is drawn again
        page = draw_scene(rng, images, labels, scenes.RECIPES[kind](rng), kind)
        if page.labels or kind in NO_DIGIT_KINDS:
            return page
    return page


def plan_kinds(rng, count, no_digit_share):
    """Kinds for a set: every kind once where it fits, the rest weighted, in shuffled order."""
    empty = min(count, math.ceil(no_digit_share * count - 1e-9))
    plan = []
    for pool, n in ((NO_DIGIT_KINDS, empty), (DIGIT_KINDS, count - empty)):
        plan += list(pool[:n]) + [draw_kind(rng, None, pool) for _ in range(n - len(pool))]
    return [plan[i] for i in rng.permutation(count)]


def page_of_set(images, labels, count, seed, index, no_digit_share=0.2):
    """Page `index` of make_page_set(images, labels, count, seed, no_digit_share), made alone."""
    kinds = plan_kinds(np.random.default_rng([seed, count]), count, no_digit_share)
    return make_page(np.random.default_rng([seed, index]), images, labels, kinds[index])


def make_page_set(images, labels, count, seed=0, no_digit_share=0.2):
    """`count` pages, the same pixels for the same seed; at least `no_digit_share` digit-free.

    Each page has its own generator seeded by (seed, index), so one page can be remade alone.
    """
    if not 0.0 <= no_digit_share <= 1.0:
        raise ValueError(f"no_digit_share must be in [0, 1], got {no_digit_share}")
    kinds = plan_kinds(np.random.default_rng([seed, count]), count, no_digit_share)
    return [make_page(np.random.default_rng([seed, index]), images, labels, kind) for index, kind in enumerate(kinds)]
