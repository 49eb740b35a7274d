"""A JPEG's size from its frame header, without decoding, and the reduction to decode it at.

libjpeg decodes a baseline JPEG at a half, a quarter or an eighth of its size without ever
holding the whole picture: a phone's 48-200 megapixel photo is read at the first of these
within the pixel limit (still 1,500 pixels or more across; the runtime works on fewer). The
size must come from the header, read here: OpenCV's own limit may not be in force (it is
read when cv2 is first imported, perhaps by the caller before edge_runtime), and Pillow's
is looser than ours.
"""

import collections
import math
import os

from edge_runtime import MAX_IMAGE_PIXELS
from edge_runtime.errors import UserInputError

REDUCTIONS = (1, 2, 4, 8)
# The most a baseline JPEG may claim to be and still be read reduced: a 200 megapixel photo.
# A progressive JPEG keeps every coefficient of the whole picture while it decodes, however
# small the output (one claiming 40000x40000 took 3.1 GB at an eighth): it is never reduced.
MAX_REDUCED_PIXELS = 5 * MAX_IMAGE_PIXELS
# Frame headers (start of frame): every SOFn but DHT (C4), JPG (C8) and DAC (CC).
FRAME_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
PROGRESSIVE_MARKERS = frozenset({0xC2, 0xC6, 0xCA, 0xCE})
STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD9)})  # TEM, RSTn, SOI: no length follows
MAX_FILL_BYTES = 64  # 0xFF padding before a marker; a file of nothing else is no JPEG

Frame = collections.namedtuple("Frame", ["width", "height", "progressive"])


def frame_header(path):
    """The JPEG's Frame, read segment by segment; None when the file strays from the plain
    layout (bytes between segments, image data before any frame header): such a file goes
    to Pillow, which also checks the size before decoding."""
    with open(path, "rb") as file:
        file.seek(2)  # past the start-of-image marker
        marker, fill = next_marker(file), 0
        while marker is not None:
            if marker in FRAME_MARKERS:
                return read_frame(file, marker)
            if marker in (0xD9, 0xDA):  # end of image, or its data before any frame header
                return None
            if marker not in STANDALONE_MARKERS and not skip_segment(file):
                return None
            marker = next_marker(file)
    return None


def next_marker(file):
    """The next marker's code, past any fill bytes; None when no marker comes next."""
    if file.read(1) != b"\xff":
        return None
    for _ in range(MAX_FILL_BYTES):
        code = file.read(1)
        if code != b"\xff":
            return code[0] if code else None
    return None


def skip_segment(file):
    """Past a segment's body; False when its length field is cut short or impossible."""
    length = file.read(2)
    if len(length) < 2 or int.from_bytes(length, "big") < 2:
        return False
    file.seek(int.from_bytes(length, "big") - 2, os.SEEK_CUR)
    return True


def read_frame(file, marker):
    body = file.read(7)  # length (2), precision (1), height (2), width (2)
    if len(body) < 7:
        return None
    return Frame(int.from_bytes(body[5:7], "big"), int.from_bytes(body[3:5], "big"), marker in PROGRESSIVE_MARKERS)


def reduction(path, frame):
    """The factor to decode this JPEG's frame at: 1 within the pixel limit, else the first of
    2, 4, 8 within it. UserInputError for a frame too large to read even so."""
    limit = MAX_IMAGE_PIXELS if frame.progressive else MAX_REDUCED_PIXELS
    if frame.width * frame.height > limit:
        raise UserInputError(f"{path}: image is {frame.width}x{frame.height} pixels, more than the "
                             f"{limit / 1e6:g} megapixel limit for a "
                             f"{'progressive' if frame.progressive else 'baseline'} JPEG (decompression-bomb guard)")
    return next(factor for factor in REDUCTIONS
                if reduced(frame.width, factor) * reduced(frame.height, factor) <= MAX_IMAGE_PIXELS)


def reduced(side, factor):
    """A side's length decoded at 1/factor: libjpeg rounds up."""
    return math.ceil(side / factor)


def oriented_shape(frame, factor, decoded_shape):
    """The file's own (height, width), turned like the decoded picture (EXIF orientation may
    have swapped its sides)."""
    if decoded_shape[:2] == (reduced(frame.height, factor), reduced(frame.width, factor)):
        return frame.height, frame.width
    return frame.width, frame.height
