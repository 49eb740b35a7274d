"""Scene recipes for the synthetic pages: which paper, where it lies, what is written, and how.

Each recipe draws one Scene from its own ranges; synthetic_pages renders it. Kept apart from
the renderer so the ranges of every kind read in one place (docs/synthetic-pages.md).
"""

import dataclasses

import cv2
import numpy as np

from edge_runtime import synthetic_layout as layout
from edge_runtime import synthetic_surfaces as surfaces

DIGIT_KINDS = ("page-on-desk", "sticky-note", "paper-fills-frame", "two-columns", "column", "touching",
               "ruled-page", "squared-page", "marker-row", "scanned-amount", "big-digit", "tight-crop",
               "large-photo")
NO_DIGIT_KINDS = ("no-digit-blank", "no-digit-desk", "no-digit-ruled", "no-digit-squared",
                  "no-digit-smudge", "no-digit-letters")
FRAMES = ((640, 480), (640, 480), (800, 600), (1024, 768), (1280, 960), (1600, 1200))
LETTERS = "abcdefhkmnprtuvwxy"  # no o, l, i, q, z, g, s: those are read as 0, 1, 9, 2, 5 by anyone
SCRIPT_FONTS = (cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX)


@dataclasses.dataclass(frozen=True)
class Scene:
    """One photo to render: frame, sheet, writing, and camera conditions."""

    frame: tuple = (640, 480)            # width, height of the photo (before `upscale`)
    placement: str = "desk"              # "desk", "fill" (sheet fills the frame), "flat", "none"
    paper: str = "white"
    aspect: float = 1 / 1.414            # sheet width / height
    rows: tuple = ()                     # rows of line lengths, see synthetic_layout
    hand: layout.Hand = layout.Hand()
    ink: str = "black"
    rules: str = ""                      # "", "ruled", "squared" or "form"
    marks: str = ""                      # "", "letters" or "smudge": ink that is no digit
    shadow: bool = False
    light: float = 0.35
    margin: float = 0.08                 # blank border of the sheet, as a share of its size
    upscale: int = 1
    noise: tuple = (1.0, 6.0)
    blur: tuple = (0.0, 1.2)
    jpeg: tuple = (55, 95)


def choose(rng, options, weights=None):
    weights = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    return options[int(rng.choice(len(options), p=weights))]


def random_frame(rng):
    """Mostly camera-sized frames, a quarter of them portrait like a phone held upright."""
    width, height = choose(rng, FRAMES)
    return (height, width) if rng.random() < 0.25 else (width, height)


def random_rows(rng, count, length, lines=1):
    return tuple(tuple(int(rng.integers(length[0], length[1] + 1)) for _ in range(lines))
                 for _ in range(int(rng.integers(count[0], count[1] + 1))))


def random_hand(rng, **changes):
    stroke = choose(rng, ("pen", "thin", "marker"), (0.45, 0.3, 0.25))
    return dataclasses.replace(layout.Hand(stroke=stroke), **changes)


def random_ink(rng):
    return choose(rng, ("black", "blue", "red"), (0.5, 0.35, 0.15))


def base_scene(rng, **changes):
    """A white or cream sheet on a desk, written in a random pen, maybe shaded."""
    scene = Scene(frame=random_frame(rng), paper=choose(rng, ("white", "off-white"), (0.7, 0.3)),
                  aspect=choose(rng, (1 / 1.414, 1.414, 1 / 1.29)), hand=random_hand(rng),
                  ink=random_ink(rng), shadow=bool(rng.random() < 0.4))
    return dataclasses.replace(scene, **changes)


def fill_or_desk(rng):
    return dict(placement="fill", margin=0.14) if rng.random() < 0.4 else dict(placement="desk")


RECIPES = {
    "page-on-desk": lambda rng: base_scene(rng, rows=random_rows(rng, (1, 12), (1, 14))),
    "sticky-note": lambda rng: base_scene(
        rng, paper="yellow", aspect=rng.uniform(1.0, 1.5), ink=choose(rng, ("blue", "black")),
        rows=random_rows(rng, (1, 5), (2, 11))),
    "paper-fills-frame": lambda rng: base_scene(rng, placement="fill", margin=0.14, rows=random_rows(rng, (1, 8), (1, 14))),
    "two-columns": lambda rng: base_scene(
        rng, rows=random_rows(rng, (2, 5), (3, 11), lines=2), paper=choose(rng, surfaces.PAPERS), **fill_or_desk(rng)),
    "column": lambda rng: base_scene(
        rng, rows=((1,),) * int(rng.integers(3, 10)), hand=random_hand(rng, pitch=(1.2, 1.8)), **fill_or_desk(rng)),
    "touching": lambda rng: base_scene(
        rng, rows=random_rows(rng, (1, 4), (3, 10)), hand=random_hand(rng, spacing=(-0.12, -0.03), stroke="pen"), **fill_or_desk(rng)),
    "ruled-page": lambda rng: base_scene(
        rng, rules="ruled", rows=random_rows(rng, (2, 8), (2, 12)),
        hand=random_hand(rng, page_angle=1.5, pitch=(1.3, 2.0)), **fill_or_desk(rng)),
    "squared-page": lambda rng: base_scene(rng, rules="squared", rows=random_rows(rng, (1, 6), (2, 12)), **fill_or_desk(rng)),
    "marker-row": lambda rng: base_scene(
        rng, frame=(640, 480), placement="fill", margin=0.12, rows=random_rows(rng, (1, 1), (2, 7)), ink="black",
        hand=random_hand(rng, height=(80, 220), stroke="marker", spacing=(0.05, 0.4)), blur=(0.5, 2.0), light=0.6),
    "scanned-amount": lambda rng: base_scene(
        rng, frame=choose(rng, ((640, 480), (800, 600))), placement="flat", rules="form", shadow=False,
        rows=random_rows(rng, (1, 1), (3, 8)), ink=choose(rng, ("blue", "black")), light=0.08,
        hand=random_hand(rng, height=(40, 60), page_angle=2.0, stroke="pen"), margin=0.2, jpeg=(35, 80), blur=(0.0, 0.7)),
    "large-photo": lambda rng: base_scene(
        rng, frame=(2000, 1500), upscale=2, rows=random_rows(rng, (2, 10), (2, 14)),
        hand=random_hand(rng, height=(24, 200))),
    "no-digit-blank": lambda rng: base_scene(rng, **fill_or_desk(rng)),
    "no-digit-desk": lambda rng: base_scene(rng, placement="none"),
    "no-digit-ruled": lambda rng: base_scene(rng, rules="ruled", **fill_or_desk(rng)),
    "no-digit-squared": lambda rng: base_scene(rng, rules="squared", **fill_or_desk(rng)),
    "no-digit-smudge": lambda rng: base_scene(rng, marks="smudge", **fill_or_desk(rng)),
    "no-digit-letters": lambda rng: base_scene(rng, marks="letters", **fill_or_desk(rng)),
}


def sheet_quad(rng, scene):
    """Where the sheet's four corners land in the photo: turned, tilted, maybe past the edges."""
    width, height = scene.frame
    if scene.placement == "fill":
        size = np.array([width * rng.uniform(1.12, 1.3), height * rng.uniform(1.12, 1.3)])
        centre, angle, tilt = np.array([width, height]) / 2.0, rng.uniform(-3, 3), 0.03
    else:
        cover = rng.uniform(0.55, 0.95)
        size = np.array([scene.aspect, 1.0]) * cover * min(height, width / scene.aspect)
        slack = (np.array([width, height]) - size) / 2.0 + 0.08 * size
        centre = np.array([width, height]) / 2.0 + rng.uniform(-1, 1, size=2) * slack
        angle, tilt = rng.uniform(-12, 12), 0.07
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * size / 2.0
    corners += rng.uniform(-tilt, tilt, size=(4, 2)) * size.min()
    turn = np.deg2rad(angle)
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    return corners @ rotation.T + centre


def ink_reflectance(rng, colour):
    """BGR share of light the ink reflects: ballpoint blue, red, or black."""
    if colour == "blue":
        return np.float32([rng.uniform(0.45, 0.75), rng.uniform(0.15, 0.35), rng.uniform(0.05, 0.2)])
    if colour == "red":
        return np.float32([rng.uniform(0.08, 0.25), rng.uniform(0.08, 0.25), rng.uniform(0.55, 0.8)])
    return np.float32([rng.uniform(0.06, 0.22)] * 3)


def print_rules(rng, sheet, scene, baselines, height, glyphs):
    """Rules printed on the sheet: lines under the written rows, a grid, or a form's field."""
    size = min(sheet.shape[:2])
    colour = choose(rng, (surfaces.RULE_BLUE, surfaces.RULE_GREY), (0.75, 0.25))
    thickness = 1 if size < 900 else 2
    if scene.rules == "ruled":
        spacing = baselines[1] - baselines[0] if len(baselines) > 1 else max(height * 1.6, size * rng.uniform(0.03, 0.06))
        first = baselines[0] + rng.uniform(0, 0.06) * height if baselines else rng.uniform(0, spacing)
        surfaces.ruled(sheet, first, spacing, colour, thickness)
        if rng.random() < 0.5:  # the red margin line, left of the writing
            x = int(0.05 * sheet.shape[1])
            surfaces.apply_ink(sheet, surfaces.rule_mask(sheet.shape[1::-1], (), (x,), thickness), [0.7, 0.7, 0.95])
    elif scene.rules == "squared":
        spacing = height * rng.uniform(0.5, 0.9) if height else size * rng.uniform(0.025, 0.05)
        surfaces.squared(sheet, max(8.0, spacing), rng.uniform(0, 100, size=2), colour, thickness)
    elif scene.rules == "form":
        print_form(rng, sheet, glyphs)


def print_form(rng, sheet, glyphs):
    """A scanned form: faint security wave pattern and a printed box around the amount."""
    height, width = sheet.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    wave = np.sin(xs * rng.uniform(0.05, 0.2) + 6 * np.sin(ys * rng.uniform(0.01, 0.05)))
    sheet *= (1.0 - 0.05 * (wave[:, :, None] > 0.6) * rng.uniform(0.5, 1.0, size=3)).astype(np.float32)
    if glyphs:
        x0 = min(g.corner[0] + layout.ink_bounds(g.alpha)[0] for g in glyphs) - 14
        x1 = max(g.corner[0] + layout.ink_bounds(g.alpha)[2] for g in glyphs) + 14
        y0 = min(g.corner[1] + layout.ink_bounds(g.alpha)[1] for g in glyphs) - 12
        y1 = max(g.corner[1] + layout.ink_bounds(g.alpha)[3] for g in glyphs) + 12
        mask = np.zeros((height, width), np.float32)
        cv2.rectangle(mask, (int(x0), int(y0)), (int(x1), int(y1)), 0.8, 1, cv2.LINE_AA)
        surfaces.apply_ink(sheet, mask, [0.3, 0.3, 0.3])


def add_marks(rng, sheet, scene):
    """Ink that is not a digit: a few script letters, or a smudge."""
    if scene.marks == "letters":
        write_letters(rng, sheet, scene)
    elif scene.marks == "smudge":
        smudge(rng, sheet)


def write_letters(rng, sheet, scene):
    height, width = sheet.shape[:2]
    mask = np.zeros((height, width), np.uint8)
    for _ in range(int(rng.integers(1, 5))):
        word = "".join(choose(rng, LETTERS) for _ in range(int(rng.integers(1, 6))))
        scale = rng.uniform(1.2, 3.5) * min(height, width) / 500.0
        origin = (int(rng.uniform(0.1, 0.5) * width), int(rng.uniform(0.2, 0.9) * height))
        cv2.putText(mask, word, origin, choose(rng, SCRIPT_FONTS), scale, 255,
                    max(1, int(scale * rng.uniform(1, 3))), cv2.LINE_AA)
    surfaces.apply_ink(sheet, mask.astype(np.float32) / 255.0, ink_reflectance(rng, scene.ink))


def smudge(rng, sheet):
    """A grey graphite or coffee smudge: a few soft overlapping blobs."""
    height, width = sheet.shape[:2]
    mask = np.zeros((height, width), np.float32)
    centre = rng.uniform(0.2, 0.8, size=2) * [width, height]
    for _ in range(int(rng.integers(1, 4))):
        middle = tuple(int(v) for v in centre + rng.normal(0, 0.05, size=2) * [width, height])
        axes = tuple(int(v) for v in rng.uniform(0.02, 0.1, size=2) * min(width, height))
        cv2.ellipse(mask, middle, axes, rng.uniform(0, 180), 0, 360, rng.uniform(0.3, 0.7), -1)
    mask = cv2.GaussianBlur(mask, (0, 0), 0.02 * min(width, height))
    surfaces.apply_ink(sheet, mask, choose(rng, ([0.45, 0.45, 0.45], [0.4, 0.55, 0.7])))
