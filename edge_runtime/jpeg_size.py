"""A JPEG's size from its headers, without decoding, and the reduction to decode it at.

libjpeg decodes a sequential JPEG whose scan holds every colour component a band of rows at
a time, and can decode it at a half, a quarter or an eighth of its size: a phone's 48-200
megapixel photo is read at the first of these within the pixel limit (still 1,500 pixels or
more across; the runtime works on fewer). Any other JPEG (progressive, lossless, arithmetic
coded, or one scan per component) makes libjpeg keep every coefficient of the whole picture
while it decodes, however small the output: a 282-byte progressive file claiming 40000x40000
took 3.1 GB at an eighth. Such a JPEG is read whole, within the plain pixel limit.

The size must come from the headers, read here: OpenCV's own limit may not be in force (it
is read when cv2 is first imported, perhaps by the caller before edge_runtime), and Pillow's
is looser than ours. A file whose headers stray from the plain layout is not sized here.
"""

import collections
import math
import os

from edge_runtime import MAX_IMAGE_PIXELS
from edge_runtime.errors import UserInputError

REDUCTIONS = (1, 2, 4, 8)
MAX_REDUCED_PIXELS = 5 * MAX_IMAGE_PIXELS  # the most a JPEG read reduced may be: a 200 MP photo
# Frame headers (start of frame): every SOFn but DHT (C4), JPG (C8) and DAC (CC); of them,
# baseline and extended sequential Huffman coding (C0, C1) stream.
FRAME_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
STREAMING_FRAMES = frozenset({0xC0, 0xC1})
START_OF_SCAN, END_OF_IMAGE = 0xDA, 0xD9
STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RSTn: no length follows
# Segments that may come before the first scan: tables, restart interval, comments, APPn.
TABLE_MARKERS = frozenset({0xC4, 0xCC, 0xDB, 0xDC, 0xDD, 0xFE, *range(0xE0, 0xF0)})
MAX_FILL_BYTES = 64   # 0xFF padding before a marker
MAX_SEGMENTS = 256    # before the first scan; a phone photo has about ten

Frame = collections.namedtuple("Frame", ["width", "height", "streams"])
Frame.__doc__ = """A JPEG's size, and whether it streams: a sequential Huffman frame whose first
scan holds every component, the only kind read reduced."""


def frame_header(path):
    """The JPEG's Frame, from its headers up to the first scan; None when they stray from
    the plain layout (an unknown marker, bytes between segments, no scan, two frames): such
    a file goes to Pillow, which also checks the size before decoding."""
    with open(path, "rb") as file:
        file.seek(2)  # past the start-of-image marker
        frame = None
        for _ in range(MAX_SEGMENTS):
            marker = next_marker(file)
            if marker in STANDALONE_MARKERS:
                continue
            if marker not in FRAME_MARKERS | TABLE_MARKERS | {START_OF_SCAN}:
                return None
            body = read_body(file, wanted=marker in FRAME_MARKERS or marker == START_OF_SCAN)
            if body is None or (marker in FRAME_MARKERS and frame is not None):
                return None
            if marker in FRAME_MARKERS:
                frame = (marker, body)
            elif marker == START_OF_SCAN:
                return frame and read_frame(*frame, scan=body)
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


def read_body(file, wanted):
    """A segment's body (b"" when not `wanted`: skipped); None when its length field is cut
    short, impossible or runs past the file's end."""
    length = file.read(2)
    if len(length) < 2 or int.from_bytes(length, "big") < 2:
        return None
    size = int.from_bytes(length, "big") - 2
    if not wanted:
        file.seek(size, os.SEEK_CUR)
        return b""
    body = file.read(size)
    return body if len(body) == size else None


def read_frame(marker, body, scan):
    """The Frame of a frame header's body (precision, height, width, components...) and its
    first scan's (component count first); None when either is too short to be one."""
    if len(body) < 6 or len(scan) < 1:
        return None
    height, width, components = int.from_bytes(body[1:3], "big"), int.from_bytes(body[3:5], "big"), body[5]
    return Frame(width, height, marker in STREAMING_FRAMES and scan[0] == components)


def reduction(path, frame):
    """The factor to decode this JPEG at: 1 within the pixel limit, else, for one that
    streams, the first of 2, 4, 8 within it. UserInputError for one too large even so."""
    limit = MAX_REDUCED_PIXELS if frame.streams else MAX_IMAGE_PIXELS
    if frame.width * frame.height > limit:
        kind = "a JPEG read reduced" if frame.streams else "a JPEG that does not stream (progressive or lossless)"
        raise UserInputError(f"{path}: image is {frame.width}x{frame.height} pixels, more than the "
                             f"{limit / 1e6:g} megapixel limit for {kind} (decompression-bomb guard)")
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
