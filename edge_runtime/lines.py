"""Reading order: digit boxes -> text lines (rows top to bottom, each left to right).

Handwritten rows are rarely level (a webcam sees a page at an angle, a number is written
uphill), so lines are not horizontal bands: each box is linked to its nearest neighbour to
the right within a cone, chains of mutual links are lines, and a gap wider than a few
digit heights ends a line (two numbers side by side on one row are two lines). Lines are
then ordered by row bands, top to bottom, and left to right within a band; lines are
compared along their slopes (reading_order). Pure functions on (x, y, w, h) boxes, so they
are tested without images or a model.
"""

import functools

import numpy as np

# A neighbour more than this many digit heights away starts a new line (or a new number).
MAX_GAP_HEIGHTS = 2.2
# Links steeper than this are not "to the right": a digit in the next row is not a neighbour.
MAX_SLOPE_DEGREES = 42.0
# Digits of one line differ in height (a 1 beside a small 0), but not by more than this.
MAX_HEIGHT_RATIO = 5.0
# A line tells the page's slope when its first and last digits' centres are this many of
# its tallest digit's heights apart.
SLOPE_SPAN = 3.0
# Words: a space wider than this share of a line's height parts two (letters and the digits
# of a number stand closer; "Room 36" written with a space of about half a digit's height).
WORD_GAP = 0.5


def link_costs(boxes):
    """n x n matrix: cost of linking box i to box j on its right, in digit heights (inf: no link).

    Along x the distance runs from i's right edge to j's left edge, so wide and narrow digits
    link alike. Along y, boxes whose vertical ranges overlap by half the smaller height are
    level (a 7's or 9's descender must not push it off its row); otherwise the centres'
    offset counts, and j must lie to the right of i within MAX_SLOPE_DEGREES. Vectorised:
    a page has hundreds of digits.
    """
    x, y, w, h = (boxes[:, k][:, None] for k in range(4))
    dx = (x.T + w.T / 2.0) - (x + w / 2.0)
    overlap = np.minimum(y + h, y.T + h.T) - np.maximum(y, y.T)
    shorter = np.maximum(np.minimum(h, h.T), 1.0)
    dy = np.where(overlap >= 0.5 * shorter, 0.0, (y.T + h.T / 2.0) - (y + h / 2.0))
    gap_x = np.maximum(0.0, x.T - (x + w))
    cost = np.hypot(gap_x, dy) / np.sqrt(np.maximum(h * h.T, 1.0))
    slope = np.degrees(np.arctan2(np.abs(dy), np.maximum(dx, 1e-9)))
    similar = np.maximum(h, h.T) <= MAX_HEIGHT_RATIO * shorter
    linkable = (dx > 0) & similar & (slope <= MAX_SLOPE_DEGREES) & (cost <= MAX_GAP_HEIGHTS)
    return np.where(linkable, cost, np.inf)


def best_links(boxes):
    """For each box, the index of its best right neighbour and of its best left neighbour."""
    costs = link_costs(boxes)
    right = [int(j) if np.isfinite(costs[i, j]) else None for i, j in enumerate(costs.argmin(axis=1))]
    left = [int(i) if np.isfinite(costs[i, j]) else None for j, i in enumerate(costs.argmin(axis=0))]
    return right, left


def chains(boxes):
    """Lines as lists of box indices, each left to right: chains of mutual best links."""
    right, left = best_links(boxes)
    starts = [i for i in range(len(boxes)) if left[i] is None or right[left[i]] != i]
    lines = []
    for start in starts:
        line, current = [start], start
        while right[current] is not None and left[right[current]] == current:
            current = right[current]
            line.append(current)
        lines.append(line)
    return lines


def line_slope(boxes, line):
    """The slope (dy / dx) from a line's first digit's centre to its last's, or None when
    they are under SLOPE_SPAN of its tallest digit's heights apart (a few pixels of wobble
    between near neighbours would make a steep slope)."""
    first, last = boxes[line[0]], boxes[line[-1]]
    dx = (last[0] + last[2] / 2.0) - (first[0] + first[2] / 2.0)
    if dx < SLOPE_SPAN * max(boxes[i][3] for i in line):
        return None
    return ((last[1] + last[3] / 2.0) - (first[1] + first[3] / 2.0)) / dx


def page_slope(slopes):
    """The median of the long lines' slopes: a page seen at an angle tilts every row alike;
    0 without any."""
    known = sorted(s for s in slopes if s is not None)
    return float(known[len(known) // 2]) if known else 0.0


def centre_x(boxes, line):
    """The middle column of a line, its first digit's left edge to its last's right edge."""
    return (boxes[line[0]][0] + boxes[line[-1]][0] + boxes[line[-1]][2]) / 2.0


def vertical_span(boxes, line, slope=0.0, at_x=0.0):
    """Top and bottom of a line carried along `slope` to the column `at_x`."""
    shift = [slope * (at_x - (boxes[i][0] + boxes[i][2] / 2.0)) for i in line]
    return (min(boxes[i][1] + s for i, s in zip(line, shift)),
            max(boxes[i][1] + boxes[i][3] + s for i, s in zip(line, shift)))


def same_band(span_a, span_b):
    """Two lines share a row when their vertical extents overlap by half the smaller one."""
    overlap = min(span_a[1], span_b[1]) - max(span_a[0], span_b[0])
    return overlap >= 0.5 * min(span_a[1] - span_a[0], span_b[1] - span_b[0])


def reading_order(boxes, lines):
    """Lines sorted into row bands top to bottom, and left to right inside a band. On a page
    seen at an angle the right number of a row sits higher than the left one, and the two
    halves of a page may slope differently: lines are compared along their own slopes (a
    short line along the page's, page_slope), and the bands are taken top to bottom along
    the page's slope."""
    slopes = [line_slope(boxes, line) for line in lines]
    page = page_slope(slopes)
    own = [page if slope is None else slope for slope in slopes]
    pending = sorted(range(len(lines)), key=lambda k: vertical_span(boxes, lines[k], page)[0])
    ordered = []
    while pending:
        seed = pending.pop(0)
        band = [seed] + [k for k in pending if share_row(boxes, lines[seed], own[seed], lines[k], own[k])]
        pending = [k for k in pending if k not in band]
        ordered += sorted((lines[k] for k in band), key=lambda line: boxes[line[0]][0])
    return ordered


def share_row(boxes, a, slope_a, b, slope_b):
    """Two lines share a row when, each carried along its slope to the column halfway
    between them, their vertical extents overlap by half the smaller one."""
    at_x = (centre_x(boxes, a) + centre_x(boxes, b)) / 2.0
    return same_band(vertical_span(boxes, a, slope_a, at_x), vertical_span(boxes, b, slope_b, at_x))


def group_lines(boxes):
    """Box indices per line, lines in reading order: [[3, 0, 5], [1, 2], ...]."""
    if len(boxes) == 0:
        return []
    return [list(line) for line in cached_grouping(tuple(tuple(box[:4]) for box in boxes))]


@functools.lru_cache(maxsize=4)
def cached_grouping(boxes):
    """group_lines of a tuple of (x, y, w, h) tuples, remembered: a frame's readings are grouped
    once to judge them (acceptance.accept) and again, mostly the same boxes, for their order."""
    array = box_array(boxes)
    return tuple(tuple(line) for line in reading_order(array, chains(array)))


def unordered_lines(boxes):
    """Box indices per line, lines in no particular order: group_lines without the ordering,
    whose cost grows with the square of the lines (4 ms for 60 boxes of speckle)."""
    return chains(box_array(boxes)) if len(boxes) else []


def words(boxes, line, gap=WORD_GAP):
    """A line's box indices split into words, left to right: a new word wherever the space
    after the boxes before is wider than `gap` times the line's middle height (the upper of
    the two middle ones). Spaces are measured along x, not along the line's slope."""
    if not line:
        return []
    heights = sorted(boxes[i][3] for i in line)
    space = gap * heights[len(heights) // 2]
    found, right = [], None
    for index in sorted(line, key=lambda i: boxes[i][0]):
        x, _, w, _ = boxes[index][:4]
        if right is None or x - right > space:
            found.append([])
            right = x + w
        found[-1].append(index)
        right = max(right, x + w)
    return found


def box_array(boxes):
    """(n, 4) float array of the boxes' x, y, w, h (extra fields, like a blob's area, dropped)."""
    return np.array([b[:4] for b in boxes], dtype=np.float64)
