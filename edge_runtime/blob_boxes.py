"""Blobs as rows of [x, y, w, h, box area]: the columns, the box around a group of them, a
box's share of the picture, and where a box or the ink lies against the picture's border (a
page's edge, the desk around the paper, a digit held close to the camera).
"""

import cv2
import numpy as np

# Columns: x, y, w, h, box area (merging takes the largest first).
X, Y, W, H, AREA = range(5)


def contour_boxes(contours):
    """(n, 4) float array of each contour's (x, y, w, h), as cv2.boundingRect gives it, for all
    at once: a speckled frame holds thousands of blobs, and one boundingRect call each took
    2.6 ms of the frame's 40 (this takes 0.8 ms)."""
    if not contours:
        return np.zeros((0, 4))
    counts = np.fromiter(map(len, contours), np.intp, len(contours))
    points = np.concatenate(contours).reshape(-1, 2)
    starts = np.zeros(len(contours), np.intp)
    np.cumsum(counts[:-1], out=starts[1:])
    low, high = np.minimum.reduceat(points, starts), np.maximum.reduceat(points, starts)
    return np.column_stack([low, high - low + 1]).astype(np.float64)


def group_box(boxes, members):
    """The box around a group's members (indices into `boxes`), the sum of their areas last."""
    return group_boxes(boxes, [members])[0]


def group_boxes(boxes, groups):
    """group_box of every group at once (lists of indices into `boxes`, none empty)."""
    if not groups:
        return np.zeros((0, boxes.shape[1]))
    if all(len(members) == 1 for members in groups):  # each its own box (a clean row of digits)
        return boxes[[members[0] for members in groups]]
    rows = boxes[np.concatenate(groups)]
    starts = np.cumsum([0] + [len(members) for members in groups[:-1]])
    x, y = np.minimum.reduceat(rows[:, X], starts), np.minimum.reduceat(rows[:, Y], starts)
    right = np.maximum.reduceat(rows[:, X] + rows[:, W], starts)
    bottom = np.maximum.reduceat(rows[:, Y] + rows[:, H], starts)
    return np.column_stack([x, y, right - x, bottom - y, np.add.reduceat(rows[:, AREA], starts)])


def spans(boxes, shape, share):
    """Whether an (x, y, w, h, ...) box is at least `share` of the picture's width or height;
    for an array of such rows, which of them are."""
    boxes = np.asarray(boxes)
    return (boxes[..., W] >= share * shape[1]) | (boxes[..., H] >= share * shape[0])


def touches_border(boxes, shape, margin):
    """Whether an (x, y, w, h, ...) box comes within `margin` of the picture's border; for an
    array of such rows, which of them do."""
    height, width = shape
    boxes = np.asarray(boxes)
    x, y, w, h = (boxes[..., k] for k in (X, Y, W, H))
    return (x < margin) | (y < margin) | (x + w > width - margin) | (y + h > height - margin)


def away_from_border(mask):
    """255 where no ink blob touching the picture's border lies. A flood fill from an ink
    frame drawn around the picture: a tenth of the cost of labelling every blob."""
    framed = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=255)
    cv2.floodFill(framed, None, (0, 0), 128, flags=8)
    return cv2.compare(framed[1:-1, 1:-1], 128, cv2.CMP_NE)


def ink_on_border(mask):
    """Ink on the picture's outermost rows or columns."""
    return any(cv2.countNonZero(edge) for edge in (mask[0], mask[-1], mask[:, 0], mask[:, -1]))


def border_contact(mask, box, margin):
    """Ink pixels of the box that lie on the frame's edge rows and columns."""
    x, y, w, h = (int(v) for v in box[:4])
    height, width = mask.shape
    inside = mask[y:y + h, x:x + w]
    contact = 0
    if y < margin:
        contact += cv2.countNonZero(inside[0])
    if y + h > height - margin:
        contact += cv2.countNonZero(inside[-1])
    if x < margin:
        contact += cv2.countNonZero(inside[:, 0])
    if x + w > width - margin:
        contact += cv2.countNonZero(inside[:, -1])
    return contact


def runs_along_border(mask, box, margin):
    """A page edge or the desk beside it lies along the frame's edge; a digit held close to the
    camera only crosses it, touching it over about one stroke width."""
    return border_contact(mask, box, margin) > 0.25 * max(box[W], box[H])


def window(box, shape, pad=0):
    """The box widened by `pad` pixels each way, clipped to the picture: row and column slices."""
    x, y, w, h = (int(v) for v in box[:4])
    return slice(max(0, y - pad), min(shape[0], y + h + pad)), slice(max(0, x - pad), min(shape[1], x + w + pad))
