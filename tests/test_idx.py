"""IDX parsing on the real t10k files and on damaged ones."""

import gzip

import numpy as np
import pytest

from edge_runtime.errors import UserInputError
from idx_files import idx_bytes, write_idx
from train import idx


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
