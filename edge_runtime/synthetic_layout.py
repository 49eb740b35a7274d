"""Writing MNIST digits on a page the way people do: rows, two numbers on a row, columns, touching.

A layout is a list of rows; a row is a list of line lengths (one line, or two numbers side by
side). Digits are placed in page pixels; the page is warped into the photo later, so each
Glyph keeps its own ink to compute its box in the photo.
"""

import collections
import dataclasses

import cv2
import numpy as np

from edge_runtime import synthetic

Glyph = collections.namedtuple("Glyph", ["alpha", "corner", "label", "line"])
Glyph.__doc__ = "A digit's ink (float alpha 0..1), its top-left corner on the page, its label and line number."

INK = 0.25        # alpha above this is ink, as in synthetic.ink_box
WIDTH_GUESS = 0.8  # ink width / height of a digit, generous, to size rows before rendering


@dataclasses.dataclass(frozen=True)
class Hand:
    """How the digits are written: size, spacing, slant, and pen."""

    height: tuple = (26, 90)          # ink height in page pixels
    spacing: tuple = (0.1, 0.5)       # gap between digits, in digit heights; negative overlaps
    pitch: tuple = (1.4, 2.2)         # row to row, in digit heights
    column_gap: tuple = (1.5, 4.0)    # gap between two numbers on one row, in digit heights
    digit_angle: float = 8.0
    page_angle: float = 6.0
    jitter: float = 0.08              # baseline wobble, in digit heights
    stroke: str = "pen"               # "marker", "pen" or "thin"


def ink_bounds(alpha):
    """(x0, y0, x1, y1) of the ink in `alpha`, ends exclusive."""
    rows = np.flatnonzero((alpha > INK).any(axis=1))
    cols = np.flatnonzero((alpha > INK).any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def restroke(alpha, height, stroke):
    """Marker strokes are fatter than MNIST's, ballpoint ones thinner; pen keeps MNIST's."""
    size = int(round(height * {"marker": 0.05, "pen": 0.0, "thin": 0.045}[stroke]))
    if size < 2:
        return alpha
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    if stroke == "marker":
        return cv2.dilate(alpha, kernel)
    thinner = cv2.erode(alpha, kernel)
    return thinner if (thinner > INK).sum() > 0.3 * (alpha > INK).sum() else alpha


def render(digit, height, angle, stroke):
    """A digit whose ink (not ink plus render_digit's blank margin) is about `height` high."""
    rows = synthetic.ink_crop(digit).shape[0]
    full = height * rows / max(1, rows - 4)  # ink_crop pads 2 px above and below the ink
    return restroke(synthetic.render_digit(digit, int(round(full)), angle), height, stroke)


def row_units(row, spacing, gap):
    """A row's width in digit heights, guessed before the digits are drawn."""
    return sum(n * (WIDTH_GUESS + max(spacing, -0.2)) for n in row) + (len(row) - 1) * gap


def fit_height(rng, rows, region, hand, spacing, gap, pitch):
    """A digit height drawn from hand.height, shrunk until every row fits the region."""
    width, height = region[2] - region[0], region[3] - region[1]
    widest = max(row_units(row, spacing, gap) for row in rows)
    return min(rng.uniform(*hand.height), width / widest, height / (len(rows) * pitch + 0.2))


def trim_rows(rows, region, hand, spacing, gap, pitch):
    """Drop rows, then shorten the longest line, until the smallest allowed height fits."""
    rows = [list(row) for row in rows]
    while True:
        width, height = region[2] - region[0], region[3] - region[1]
        widest = max(row_units(row, spacing, gap) for row in rows)
        small = hand.height[0]
        if widest * small <= width and (len(rows) * pitch + 0.2) * small <= height:
            return rows
        if (len(rows) * pitch + 0.2) * small > height and len(rows) > 1:
            rows.pop()
            continue
        row = max(rows, key=lambda r: row_units(r, spacing, gap))
        longest = int(np.argmax(row))
        if row[longest] > 1:
            row[longest] -= 1
        elif len(row) > 1:
            row.pop(longest)
        else:
            return rows  # one digit that cannot fit: let the caller's visibility check drop it


def column_starts(rows, left, height, spacing, gap):
    """x where each line of a row starts, so the second numbers line up in a column."""
    first = max(row[0] for row in rows) * (WIDTH_GUESS + max(spacing, -0.2)) * height
    return [left, left + first + gap * height]


def write_line(rng, picks, start, baseline, height, spacing, theta, hand, line):
    """One written number: glyphs left to right from x = start, bottoms near `baseline`."""
    glyphs, x = [], start
    for digit, label in picks:
        size = height * rng.uniform(0.9, 1.1)
        angle = rng.uniform(-hand.digit_angle, hand.digit_angle) + theta
        alpha = render(digit, size, angle, hand.stroke)
        x0, y0, x1, y1 = ink_bounds(alpha)
        bottom = baseline + rng.uniform(-hand.jitter, hand.jitter) * height
        glyphs.append(Glyph(alpha, (x - x0, bottom - y1), int(label), line))
        step = spacing * rng.uniform(0.7, 1.3) * height
        x += max(0.65 * (x1 - x0), (x1 - x0) + step)  # touch, never hide a neighbour
    return glyphs


def place_rows(rng, digits, labels, rows, region, hand):
    """Glyphs for `rows` inside `region` (x0, y0, x1, y1); returns (glyphs, baselines, height).

    Lines are numbered in reading order: rows top to bottom, left number before right.
    The whole block turns by one small page angle, each digit by its own angle on top.
    """
    spacing, gap, pitch = (rng.uniform(*hand.spacing), rng.uniform(*hand.column_gap), rng.uniform(*hand.pitch))
    rows = trim_rows(rows, region, hand, spacing, gap, pitch)
    height = fit_height(rng, rows, region, hand, spacing, gap, pitch)
    theta = rng.uniform(-hand.page_angle, hand.page_angle)
    widest = max(row_units(row, spacing, gap) for row in rows) * height
    left = region[0] + rng.uniform(0, max(0.0, region[2] - region[0] - widest))
    top = region[1] + rng.uniform(0, max(0.0, region[3] - region[1] - (len(rows) * pitch + 0.2) * height))
    starts = column_starts(rows, left, height, spacing, gap)
    glyphs, baselines, line, used = [], [], 0, 0
    for r, row in enumerate(rows):
        baseline = top + (r * pitch + 1.1) * height
        baselines.append(baseline)
        for i, length in enumerate(row):
            start = starts[i] + rng.uniform(0, 0.3) * height
            picks = list(zip(digits[used:used + length], labels[used:used + length]))
            glyphs += write_line(rng, picks, start, baseline, height, spacing, theta, hand, line)
            used, line = used + length, line + 1
    centre = ((region[0] + region[2]) / 2.0, (region[1] + region[3]) / 2.0)
    return turn(glyphs, centre, theta), baselines, height


def turn(glyphs, centre, angle):
    """Move each glyph's ink centre as if the whole block were rotated by `angle` degrees."""
    matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
    turned = []
    for glyph in glyphs:
        x0, y0, x1, y1 = ink_bounds(glyph.alpha)
        middle = np.array([glyph.corner[0] + (x0 + x1) / 2.0, glyph.corner[1] + (y0 + y1) / 2.0, 1.0])
        moved = matrix @ middle
        corner = (int(round(glyph.corner[0] + moved[0] - middle[0])), int(round(glyph.corner[1] + moved[1] - middle[1])))
        turned.append(glyph._replace(corner=corner))
    return turned


def digit_count(rows):
    return sum(sum(row) for row in rows)
