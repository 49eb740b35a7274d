"""IDX parsing on the real t10k files and on damaged ones."""

import gzip

import numpy as np
import pytest

from edge_runtime.errors import UserInputError
from idx_files import idx_bytes, write_idx
from mnist_edge.train import idx


def test_real_t10k_files_match_the_npz(mnist_idx_dir, mnist):
    images = idx.read_idx_images(mnist_idx_dir / "t10k-images-idx3-ubyte.gz")
    labels = idx.read_idx_labels(mnist_idx_dir / "t10k-labels-idx1-ubyte.gz")
    assert images.shape == (10000, 28, 28) and labels.shape == (10000,)
    np.testing.assert_array_equal(images, mnist.x_test)
    np.testing.assert_array_equal(labels, mnist.y_test)
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_uncompressed_copy_reads_the_same(mnist_idx_dir, tmp_path):
    raw = tmp_path / "t10k-labels-idx1-ubyte"
    raw.write_bytes(gzip.decompress((mnist_idx_dir / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    np.testing.assert_array_equal(idx.read_idx_labels(raw),
                                  idx.read_idx_labels(mnist_idx_dir / "t10k-labels-idx1-ubyte.gz"))


def test_truncated_real_file_is_named_in_the_error(mnist_idx_dir, tmp_path):
    data = gzip.decompress((mnist_idx_dir / "t10k-images-idx3-ubyte.gz").read_bytes())
    truncated = tmp_path / "t10k-images-idx3-ubyte"
    truncated.write_bytes(data[:-1000])
    with pytest.raises(UserInputError, match=r"t10k-images-idx3-ubyte: IDX header promises 7840016 bytes"):
        idx.read_idx_images(truncated)


def test_cut_gzip_stream_is_reported(mnist_idx_dir, tmp_path):
    cut = tmp_path / "labels.gz"
    cut.write_bytes((mnist_idx_dir / "t10k-labels-idx1-ubyte.gz").read_bytes()[:200])
    with pytest.raises(UserInputError, match="labels.gz: corrupt gzip data"):
        idx.read_idx_labels(cut)


@pytest.mark.parametrize("mutate, message", [
    (lambda data: b"\x01" + data[1:], "bad magic number"),
    (lambda data: data[:2] + b"\x0d" + data[3:], "element type 0x0d is not unsigned byte"),
    (lambda data: data[:6], "header is truncated"),
])
def test_damaged_headers(tmp_path, mutate, message):
    path = tmp_path / "damaged-idx1-ubyte"
    path.write_bytes(mutate(idx_bytes(np.arange(10, dtype=np.uint8))))
    with pytest.raises(UserInputError, match=message):
        idx.read_idx_labels(path)


def test_images_file_given_as_labels_is_refused(tmp_path):
    path = write_idx(tmp_path / "images", np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(UserInputError, match="has 3 dimensions, expected 1"):
        idx.read_idx_labels(path)


def test_a_size_that_overflows_64_bits_is_refused(tmp_path):
    path = tmp_path / "huge-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 0x08, 3]) + b"\xff" * 12 + b"\0" * 16)
    with pytest.raises(UserInputError, match=r"huge-idx3-ubyte: IDX header declares shape "
                                             r"\(4294967295, 4294967295, 4294967295\), more than the"):
        idx.read_idx_images(path)


def gzip_bomb(path, header, zero_bytes):
    """gzip of an IDX header followed by `zero_bytes` zeros, compressed 1 MB at a time."""
    chunk = bytes(1 << 20)
    with gzip.open(path, "wb", compresslevel=9) as stream:
        stream.write(header)
        for _ in range(zero_bytes // len(chunk)):
            stream.write(chunk)
    return path


def test_a_gzip_bomb_is_stopped_after_the_declared_size_not_decompressed_whole(tmp_path):
    """100 images declared, 200 MB of zeros inside a 200 kB file: reading stops one byte past
    the 78,416 bytes the header promises (traced allocations stay far below 200 MB)."""
    import tracemalloc

    header = bytes([0, 0, 0x08, 3]) + np.array([100, 28, 28], dtype=">u4").tobytes()
    path = gzip_bomb(tmp_path / "bomb-idx3-ubyte.gz", header, 200 << 20)
    tracemalloc.start()
    try:
        with pytest.raises(UserInputError, match=r"bomb-idx3-ubyte.gz: IDX header promises 78416 bytes "
                                                 r"for shape \(100, 28, 28\), file has more"):
            idx.read_idx_images(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 << 20


def test_a_header_declaring_more_than_the_limit_is_refused_before_reading_the_data(tmp_path):
    header = bytes([0, 0, 0x08, 3]) + np.array([10_000_000, 28, 28], dtype=">u4").tobytes()
    path = gzip_bomb(tmp_path / "claims-idx3-ubyte.gz", header, 0)
    with pytest.raises(UserInputError, match=r"claims-idx3-ubyte.gz: IDX header declares shape "
                                             r"\(10000000, 28, 28\), more than the"):
        idx.read_idx_images(path)
