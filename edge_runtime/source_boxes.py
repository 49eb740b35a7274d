"""A prepared page's working-pixel boxes in the caller's picture: the scaling and the padding of
a small picture undone, corners mapped outward to whole pixels and clipped to the picture
(preprocess.Page holds the factor, the offset and the source picture's shape).
"""

import math

import numpy as np


def picture_shape(page):
    """The picture's (height, width) in working pixels, without the padding of a small one."""
    return tuple(int(round(side / page.factor)) for side in page.source_shape)


def to_source_box(page, box):
    """A working-pixel box in the caller's image pixels (undo the scaling and the padding),
    corners mapped outward to whole pixels (an enlarged picture's box may start mid-pixel) and
    clipped to the picture (blurring the mask can reach into the padding)."""
    x, y, w, h = box[:4]
    return clipped_box(outward(x * page.factor, math.floor) - page.offset,
                       outward(y * page.factor, math.floor) - page.offset,
                       outward((x + w) * page.factor, math.ceil) - page.offset,
                       outward((y + h) * page.factor, math.ceil) - page.offset, page.source_shape)


def clipped_box(left, top, right, bottom, shape):
    """The (x, y, w, h) box of whole-pixel edges clipped to a picture of `shape` (height,
    width), at least one pixel wide and tall."""
    height, width = shape[:2]
    left, top = min(max(left, 0), width - 1), min(max(top, 0), height - 1)
    right, bottom = min(max(right, left + 1), width), min(max(bottom, top + 1), height)
    return left, top, right - left, bottom - top


def ink_points(page, box):
    """The corners of the ink pixels (the mask) in a working-pixel box as (x, y) points in the
    caller's image, where pixel (i, j) spans i..i+1 and j..j+1: turned, a pixel's extent is
    its four corners'. The box's own corners when it holds no ink."""
    x, y, w, h = box[:4]
    rows, columns = np.nonzero(page.mask[y:y + h, x:x + w])
    if len(columns) == 0:
        columns, rows = np.array([0, w - 1]), np.array([0, h - 1])
    return pixel_corners(x + columns, y + rows) * page.factor - page.offset


def pixel_corners(columns, rows):
    """The four corners of each pixel (columns[k], rows[k]) as (x, y) points, pixel (i, j)
    spanning i..i+1 and j..j+1: turned, a pixel's extent is its corners'."""
    corners_x = np.concatenate([columns, columns + 1, columns, columns + 1])
    corners_y = np.concatenate([rows, rows, rows + 1, rows + 1])
    return np.column_stack([corners_x, corners_y])


def outward(value, rounding):
    """`value` rounded by math.floor or math.ceil, a whole number give or take float error
    kept as it is (80 x 0.5125000000000001 is 41, not 42)."""
    nearest = round(value)
    return int(nearest) if abs(value - nearest) < 1e-6 else int(rounding(value))
