"""Read the original MNIST IDX files (raw or gzip) without trusting their headers blindly."""

import contextlib
import gzip
import math
import zlib

import numpy as np

from edge_runtime.errors import UserInputError

UNSIGNED_BYTE = 0x08
GZIP_MAGIC = b"\x1f\x8b"
# MNIST's largest file holds 47 MB; a header claiming more than this is damaged or hostile.
MAX_IDX_BYTES = 256 << 20
CHUNK_BYTES = 1 << 20  # gzip is inflated this much at a time, never all at once


@contextlib.contextmanager
def open_idx(path):
    """A binary stream of the file's contents, gunzipped when the file is gzip (whatever its name)."""
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw) if gzipped else raw
        try:
            yield stream
        except (OSError, EOFError, zlib.error) as error:
            problem = "corrupt gzip data" if gzipped else "cannot read"
            raise UserInputError(f"{path}: {problem} ({error})") from None


def read_into(stream, buffer):
    """Fill `buffer` from `stream` in bounded chunks; return how many bytes arrived before EOF."""
    view, filled = memoryview(buffer), 0
    while filled < len(buffer):
        count = stream.readinto(view[filled:filled + CHUNK_BYTES])
        if not count:
            break
        filled += count
    return filled


def parse_header(header, path, expected_dims):
    """The shape an IDX header of unsigned bytes with `expected_dims` dimensions declares."""
    if len(header) < 4 or header[0] != 0 or header[1] != 0:
        raise UserInputError(f"{path}: not an IDX file (bad magic number)")
    if header[2] != UNSIGNED_BYTE:
        raise UserInputError(f"{path}: IDX element type 0x{header[2]:02x} is not unsigned byte")
    if header[3] != expected_dims:
        raise UserInputError(f"{path}: IDX file has {header[3]} dimensions, expected {expected_dims}")
    if len(header) < 4 + 4 * expected_dims:
        raise UserInputError(f"{path}: IDX header is truncated")
    shape = tuple(int(n) for n in np.frombuffer(header, dtype=">u4", count=expected_dims, offset=4))
    if math.prod(shape) > MAX_IDX_BYTES:  # Python integers: no overflow, whatever the header says
        raise UserInputError(f"{path}: IDX header declares shape {shape}, more than the "
                             f"{MAX_IDX_BYTES:,} byte limit for one file")
    return shape


def read_idx(path, expected_dims):
    """Parse an IDX file of unsigned bytes, reading at most one byte more than its header declares."""
    header_size = 4 + 4 * expected_dims
    with open_idx(path) as stream:
        header = bytearray(header_size)
        shape = parse_header(header[:read_into(stream, header)], path, expected_dims)
        data = bytearray(math.prod(shape) + 1)  # the extra byte tells a longer file from an exact one
        received = read_into(stream, data)
    if received != len(data) - 1:
        found = "more" if received == len(data) else header_size + received
        raise UserInputError(
            f"{path}: IDX header promises {header_size + len(data) - 1} bytes for shape {shape}, file has {found}")
    return np.frombuffer(data, dtype=np.uint8, count=len(data) - 1).reshape(shape)


def read_idx_images(path):
    """(N, rows, cols) uint8 images from an idx3-ubyte file."""
    return read_idx(path, expected_dims=3)


def read_idx_labels(path):
    """(N,) uint8 labels from an idx1-ubyte file."""
    return read_idx(path, expected_dims=1)
