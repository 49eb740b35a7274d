"""Loading MNIST from .npz files and IDX folders, validation, and the resolution order."""

import numpy as np
import pytest

from edge_runtime.errors import UserInputError
from idx_files import write_idx, write_idx_folder
from prerequisites import require_module
from mnist_edge.train import data as mnist_data


def save_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def small_arrays(mnist, count=50):
    return {"x_train": mnist.x_train[:count], "y_train": mnist.y_train[:count],
            "x_test": mnist.x_test[:count], "y_test": mnist.y_test[:count]}


def test_full_npz_has_canonical_shapes(mnist):
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_test.shape == (10000, 28, 28)
    assert mnist.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert mnist.y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_original_project_keys_load_the_same(mnist, tmp_path):
    arrays = small_arrays(mnist)
    original = save_npz(tmp_path / "orig.npz", train_img=arrays["x_train"], train_label=arrays["y_train"],
                        test_img=arrays["x_test"], test_label=arrays["y_test"])
    loaded = mnist_data.load_npz(original)
    np.testing.assert_array_equal(loaded.x_test, mnist.x_test[:50])
    np.testing.assert_array_equal(loaded.y_train, mnist.y_train[:50])


def test_idx_folder_loads_like_the_npz(mnist, tmp_path):
    folder = write_idx_folder(tmp_path, mnist, count=100)
    loaded = mnist_data.load_path(folder)
    np.testing.assert_array_equal(loaded.x_train, mnist.x_train[:100])
    np.testing.assert_array_equal(loaded.y_test, mnist.y_test[:100])


def test_idx_folder_with_mismatched_label_count(mnist, tmp_path):
    folder = write_idx_folder(tmp_path, mnist, count=100)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", mnist.y_test[:99], compress=True)
    with pytest.raises(UserInputError, match="test has 100 images but labels of shape"):
        mnist_data.load_path(folder)


def test_idx_folder_missing_a_file(mnist, tmp_path):
    folder = write_idx_folder(tmp_path, mnist, count=10)
    (folder / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(UserInputError, match="no train-labels-idx1-ubyte"):
        mnist_data.load_path(folder)


@pytest.mark.parametrize("change, message", [
    (lambda a: a.update(y_train=a["y_train"] + 10), r"train labels range 10\.\.19, expected 0\.\.9"),
    (lambda a: a.update(x_test=a["x_test"].astype(np.float32)), "test images have dtype float32"),
    (lambda a: a.update(x_train=a["x_train"][:, :27]), r"train images have shape \(50, 27, 28\)"),
    (lambda a: a.update(y_test=a["y_test"][:40]), "test has 50 images but labels"),
])
def test_bad_arrays_are_named(mnist, tmp_path, change, message):
    arrays = small_arrays(mnist)
    change(arrays)
    path = save_npz(tmp_path / "bad.npz", **arrays)
    with pytest.raises(UserInputError, match=message) as raised:
        mnist_data.load_npz(path)
    assert str(path) in str(raised.value)


def test_pickled_arrays_are_never_unpickled(tmp_path):
    path = save_npz(tmp_path / "pickled.npz", x_train=np.array([object()]), y_train=np.zeros(1),
                    x_test=np.zeros(1), y_test=np.zeros(1))
    with pytest.raises(UserInputError, match="pickled.npz: not a readable .npz archive"):
        mnist_data.load_npz(path)


def test_wrong_keys_list_what_was_found(tmp_path):
    path = save_npz(tmp_path / "other.npz", images=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(UserInputError, match="missing MNIST arrays.*found images"):
        mnist_data.load_npz(path)


def test_text_file_is_not_an_archive(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("not a zip")
    with pytest.raises(UserInputError, match="notes.npz: not a readable .npz archive"):
        mnist_data.load_path(path)


def test_resolution_order(mnist, tmp_path, monkeypatch):
    explicit = save_npz(tmp_path / "explicit.npz", **small_arrays(mnist, 10))
    from_env = save_npz(tmp_path / "env.npz", **small_arrays(mnist, 20))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dataset").mkdir()
    save_npz(tmp_path / "dataset" / "mnist.npz", **small_arrays(mnist, 30))
    monkeypatch.setenv("MNIST_NPZ", str(from_env))
    assert len(mnist_data.resolve_and_load(explicit).x_train) == 10
    assert len(mnist_data.resolve_and_load().x_train) == 20
    monkeypatch.delenv("MNIST_NPZ")
    assert len(mnist_data.resolve_and_load().x_train) == 30


def test_nothing_found_says_where_to_put_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MNIST_NPZ", raising=False)
    monkeypatch.setattr(mnist_data, "KERAS_CACHE_PATH", tmp_path / "no-cache" / "mnist.npz")
    with pytest.raises(UserInputError,
                       match=r"MNIST not found; set MNIST_NPZ=path/to/mnist.npz, put it at dataset/mnist.npz, or pass"):
        mnist_data.resolve_and_load(allow_download=False)


def test_offline_download_fails_with_one_line_that_says_what_to_do(tmp_path, monkeypatch):
    require_module("keras")
    import keras

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MNIST_NPZ", raising=False)
    monkeypatch.setattr(mnist_data, "KERAS_CACHE_PATH", tmp_path / "no-cache" / "mnist.npz")

    def offline():
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- [Errno -2] Name or "
                        "service not known\nmore detail on a second line")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(UserInputError) as raised:
        mnist_data.resolve_and_load()
    message = str(raised.value)
    assert "\n" not in message and "Name or service not known" in message
    assert message.endswith("set MNIST_NPZ=path/to/mnist.npz, put it at dataset/mnist.npz, or pass --data PATH")
def npz_with_a_lying_header(path, shape, arrays):
    """An .npz whose x_train.npy header claims `shape` while holding a few bytes of data."""
    import io
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": shape})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x_train.npy", header.getvalue() + b"\0" * 64)
        for key in ("y_train", "x_test", "y_test"):
            member = io.BytesIO()
            np.save(member, arrays[key])
            archive.writestr(f"{key}.npy", member.getvalue())
    return path


@pytest.mark.parametrize("shape", [(1_000_000_000, 28, 28), (100, 28, 28)])
def test_an_array_header_claiming_more_than_the_archive_holds_is_refused_before_allocating(mnist, tmp_path, shape):
    """784 GB claimed: refused before numpy allocates it (MemoryError before); 78 kB claimed but
    64 bytes stored: refused by the same check."""
    path = npz_with_a_lying_header(tmp_path / "lying.npz", shape, small_arrays(mnist))
    with pytest.raises(UserInputError) as raised:
        mnist_data.load_npz(path)
    declared = int(np.prod(shape, dtype=object))
    assert str(raised.value).startswith(f"{path}: x_train.npy declares shape {shape} ({declared:,} bytes)")
