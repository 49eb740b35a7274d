"""Write IDX files for loader tests (the format is four header bytes, sizes, then data)."""

import gzip

import numpy as np


def idx_bytes(array):
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    return header + array.tobytes()


def write_idx(path, array, compress=False):
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def write_idx_folder(folder, mnist, count=100, compress=True):
    """A folder with the four standard files holding the first `count` images of each split."""
    suffix = ".gz" if compress else ""
    write_idx(folder / f"train-images-idx3-ubyte{suffix}", mnist.x_train[:count], compress)
    write_idx(folder / f"train-labels-idx1-ubyte{suffix}", mnist.y_train[:count], compress)
    write_idx(folder / f"t10k-images-idx3-ubyte{suffix}", mnist.x_test[:count], compress)
    write_idx(folder / f"t10k-labels-idx1-ubyte{suffix}", mnist.y_test[:count], compress)
    return folder
