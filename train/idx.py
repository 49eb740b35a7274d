"""Read the original MNIST IDX files (raw or gzip) without trusting their headers blindly."""

import gzip
from pathlib import Path

import numpy as np

from edge_runtime.errors import UserInputError

UNSIGNED_BYTE = 0x08
GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path):
    """File contents, gunzipped when the file is gzip (whatever its name says)."""
    path = Path(path)
    data = path.read_bytes()
    if data[:2] == GZIP_MAGIC:
        try:
            return gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise UserInputError(f"{path}: corrupt gzip data ({error})") from None
    return data


def parse_idx(data, path, expected_dims):
    """Parse an IDX byte string of unsigned bytes with `expected_dims` dimensions."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise UserInputError(f"{path}: not an IDX file (bad magic number)")
    if data[2] != UNSIGNED_BYTE:
        raise UserInputError(f"{path}: IDX element type 0x{data[2]:02x} is not unsigned byte")
    if data[3] != expected_dims:
        raise UserInputError(f"{path}: IDX file has {data[3]} dimensions, expected {expected_dims}")
    header_size = 4 + 4 * expected_dims
    if len(data) < header_size:
        raise UserInputError(f"{path}: IDX header is truncated")
    shape = tuple(int(n) for n in np.frombuffer(data, dtype=">u4", count=expected_dims, offset=4))
    expected_size = header_size + int(np.prod(shape))
    if len(data) != expected_size:
        raise UserInputError(
            f"{path}: IDX header promises {expected_size} bytes for shape {shape}, file has {len(data)}")
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(shape).copy()


def read_idx_images(path):
    """(N, rows, cols) uint8 images from an idx3-ubyte file."""
    return parse_idx(read_bytes(path), path, expected_dims=3)


def read_idx_labels(path):
    """(N,) uint8 labels from an idx1-ubyte file."""
    return parse_idx(read_bytes(path), path, expected_dims=1)
