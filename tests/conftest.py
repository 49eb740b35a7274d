"""Shared fixtures: the real MNIST data from ../shared/data and models trained once per session."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def require_path(path, what):
    """Return `path` if it exists. Missing data fails under CI (a skipped proof is no proof)."""
    path = Path(path)
    if not path.exists():
        message = f"{what} not found at {path}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def mnist_npz_path():
    return require_path(os.environ.get("MNIST_NPZ", SHARED_DATA / "mnist.npz"), "MNIST .npz (set MNIST_NPZ)")


@pytest.fixture(scope="session")
def mnist_idx_dir():
    return require_path(os.environ.get("MNIST_IDX_DIR", SHARED_DATA / "mnist-idx"), "MNIST IDX folder")


@pytest.fixture(scope="session")
def mnist(mnist_npz_path):
    from train.data import load_npz

    return load_npz(mnist_npz_path)


@pytest.fixture(scope="session")
def small_run(mnist, tmp_path_factory):
    """A small model trained on 6,000 images and exported in all four variants (about 30 s)."""
    pytest.importorskip("tensorflow")
    from export.exporter import ExportSettings, export_all
    from train.training import TrainConfig, train

    out_dir = tmp_path_factory.mktemp("small_run")
    config = TrainConfig(epochs=3, train_subset=6000, validation_size=1000)
    train(mnist, config, out_dir, log=lambda message: None)
    export_all(out_dir / "model.keras", out_dir, mnist, ExportSettings(representative_size=200),
               log=lambda message: None)
    return out_dir


@pytest.fixture(scope="session")
def full_run(mnist_npz_path, tmp_path_factory):
    """`mnist-edge pipeline` on the full data with default settings, once per session.

    Lives here, not in a test module, so every full-data test module shares the one run.
    """
    pytest.importorskip("tensorflow")
    out_dir = tmp_path_factory.mktemp("full_run")
    command = [sys.executable, "-m", "edge_runtime", "pipeline", "--data", str(mnist_npz_path), "--out", str(out_dir)]
    result = subprocess.run(command, capture_output=True, text=True)
    print(result.stdout)
    assert result.returncode == 0, result.stderr[-3000:]
    return out_dir, result.stdout


@pytest.fixture(scope="session")
def full_report(full_run):
    return json.loads((full_run[0] / "report.json").read_text())


def pytest_collection_modifyitems(config, items):
    """Run the slow full-data tests last, so fast failures show first."""
    items.sort(key=lambda item: item.get_closest_marker("full_data") is not None)
