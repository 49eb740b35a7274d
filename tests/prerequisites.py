"""The one place that decides "skip or fail" when a test's dependency, data or tool is missing.

Under CI (CI set to anything but "", 0, false or no) a missing prerequisite fails the test: a
skipped proof is no proof. Elsewhere it skips with the reason. conftest.py also turns any other
skip (pytest.mark.skipif, a pytest.skip in a test) into a failure under CI.

Run as a script, it prints the mnist.npz path the tests and `make test` use, downloading it
with Keras when nothing is found, or exits 1 with one line that says what to do.
"""

import contextlib
import importlib.util
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"  # the data folder beside the repository, if any
SET_MNIST_NPZ = "set MNIST_NPZ=path/to/mnist.npz (the Keras file)"


def on_ci():
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(reason):
    """Fail under CI, skip elsewhere; works inside a test, a fixture or at module level."""
    if on_ci():
        pytest.fail(f"{reason} (CI: a missing prerequisite fails)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_module(name, why=""):
    """Check that `name` is importable without importing it (TensorFlow costs seconds and 500 MB)."""
    if importlib.util.find_spec(name) is None:
        missing(f"Python package {name} is not installed" + (f" ({why})" if why else ""))


def require_path(path, what):
    path = Path(path)
    if not path.exists():
        missing(f"{what} not found at {path}")
    return path


class MnistNotFound(Exception):
    """No mnist.npz anywhere and the Keras download failed; the message says what to do."""


def find_mnist_npz(download=True):
    """$MNIST_NPZ, else shared/data beside the repo, dataset/, the Keras cache, the Keras download."""
    if os.environ.get("MNIST_NPZ"):
        path = Path(os.environ["MNIST_NPZ"])
        if not path.is_file():
            raise MnistNotFound(f"MNIST_NPZ={path}: no such file; {SET_MNIST_NPZ}")
        return path
    from mnist_edge.train import data as mnist_data  # the runtime's own loader knows the Keras paths

    for path in (SHARED_DATA / "mnist.npz", REPO / mnist_data.DEFAULT_LOCAL_PATH, mnist_data.KERAS_CACHE_PATH):
        if path.is_file():
            return path
    if not download or importlib.util.find_spec("keras") is None:
        raise MnistNotFound(f"MNIST not found and Keras cannot download it here; {SET_MNIST_NPZ}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        with contextlib.redirect_stdout(sys.stderr):  # stdout carries only the path (see __main__)
            mnist_data.download_with_keras()
    except Exception as error:  # UserInputError with the download's reason; keep only the advice
        raise MnistNotFound(f"MNIST not found and the Keras download failed (offline?); {SET_MNIST_NPZ}") from error
    return mnist_data.KERAS_CACHE_PATH


def mnist_npz_or_missing():
    try:
        return find_mnist_npz()
    except MnistNotFound as error:
        missing(str(error))


if __name__ == "__main__":  # the Makefile's MNIST lookup, for `make pipeline` as for `make test`
    sys.path.insert(0, str(REPO))
    try:
        print(find_mnist_npz())
    except MnistNotFound as error:
        sys.exit(f"mnist-edge: {error}")
