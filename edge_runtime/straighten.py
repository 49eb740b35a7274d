"""A picture taken at a slant, turned level: the tilt its lines of digits show, the turned
picture, and boxes found in it carried back to the picture's own pixels.

A camera held askew tilts every row alike. The lines module follows sloping rows, but each
digit is then cropped at a slant and touching digits are cut by upright columns that run
through both of them; turned level, both come out as for a level page
(classify.straighter_look). Pure image geometry: no model.
"""

import math

import cv2
import numpy as np

from edge_runtime import lines, preprocess, segment, source_boxes

# Rows sloping less than this are read as they are: a hand writes uphill by a few degrees,
# and turning a picture costs a second reading of it.
MIN_TILT_DEGREES = 4.0
# A line tells the tilt when it holds this many digits or more, their mean gap at most
# MAX_GAP of their median height: a written number. Digits scattered over a picture chain
# into lines too, and turned by their slope, a 0 read as "61" outweighed the level reading.
MIN_LINE = 3
MAX_GAP = 0.8


def tilt_degrees(boxes):
    """The slope of the picture's lines in degrees, as cv2.getRotationMatrix2D takes an angle
    (positive: the rows fall to the right). 0 without a line long enough to tell
    (lines.line_slope): a few scattered digits, or none."""
    if len(boxes) < 2:
        return 0.0
    array = lines.box_array(boxes)
    slopes = [lines.line_slope(array, line) for line in lines.group_lines(boxes) if is_written_row(array, line)]
    return math.degrees(math.atan(lines.page_slope(slopes)))


def is_written_row(boxes, line):
    """MIN_LINE digits or more, close together as in a written number (MAX_GAP): digits
    scattered over a picture may chain into a line whose slope tells nothing."""
    if len(line) < MIN_LINE:
        return False
    gaps = [boxes[b][0] - (boxes[a][0] + boxes[a][2]) for a, b in zip(line[:-1], line[1:])]
    return sum(gaps) / len(gaps) <= MAX_GAP * segment.middle(boxes[line, 3])


def is_tilted(degrees):
    """Sloping enough to be worth a second reading turned level (MIN_TILT_DEGREES)."""
    return abs(degrees) >= MIN_TILT_DEGREES


def turned(gray, degrees, side=preprocess.WORKING_SIDE):
    """(picture turned by `degrees` about its centre, on a canvas that holds all of it with the
    border's pixels repeated into the new corners; the 2x3 matrix from its pixels back to the
    picture's). A picture longer than `side` is shrunk first, as reading would shrink it
    anyway: turning a 4000x3000 photo whole took 60 ms."""
    small, factor = preprocess.working_copy(gray, side)
    height, width = small.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), degrees, 1.0)
    cos, sin = abs(turn[0, 0]), abs(turn[0, 1])
    new_width, new_height = int(math.ceil(height * sin + width * cos)), int(math.ceil(height * cos + width * sin))
    turn[0, 2] += (new_width - width) / 2.0
    turn[1, 2] += (new_height - height) / 2.0
    picture = cv2.warpAffine(small, turn, (new_width, new_height), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE)
    return picture, factor * edges_convention(cv2.invertAffineTransform(turn))


def edges_convention(matrix):
    """An affine matrix of OpenCV's pixel-centre convention (pixel i's centre at i) for points
    where pixel i spans i..i+1, as box edges and scaling use: half a pixel off otherwise, which
    shrinking before the turn multiplies."""
    shifted = matrix.copy()
    shifted[:, 2] += 0.5 - matrix[:, :2] @ np.array([0.5, 0.5])
    return shifted


def lands_inside(box, back, shape):
    """Whether an (x, y, w, h) box of the turned picture has its centre inside the picture
    (`shape`: height, width). The turned picture's corners are made up (its border repeated),
    and their streaks read as 1s."""
    x, y, w, h = box[:4]
    (centre_x, centre_y), = carried_back(np.array([[x + w / 2.0, y + h / 2.0]]), back)
    return 0 <= centre_x < shape[1] and 0 <= centre_y < shape[0]


def box_back(points, back, shape):
    """The (x, y, w, h) box around (x, y) points of the turned picture (the corners of a
    digit's ink pixels) carried back to the picture's own pixels, clipped to its `shape`
    (height, width). The box around the turned box's corners would hold much paper besides a
    slanted digit; the turned box's own size would leave parts of it out."""
    mapped = carried_back(points, back)
    return source_boxes.clipped_box(int(math.floor(mapped[:, 0].min())), int(math.floor(mapped[:, 1].min())),
                                  int(math.ceil(mapped[:, 0].max())), int(math.ceil(mapped[:, 1].max())), shape)


def carried_back(points, back):
    """(x, y) points of the turned picture in the picture's own pixels."""
    return points @ back[:, :2].T + back[:, 2]
