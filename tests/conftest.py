"""Shared fixtures: the real MNIST data and models trained once per session.

Missing data, packages or tools skip locally and fail under CI (tests/prerequisites.py), and
under CI any other skip is turned into a failure too (the hooks at the end).
"""

import json
import os
import subprocess
import sys

import pytest

from idx_files import write_idx
from prerequisites import SHARED_DATA, mnist_npz_or_missing, on_ci, require_module, require_path


@pytest.fixture(scope="session")
def mnist_npz_path():
    return mnist_npz_or_missing()


@pytest.fixture(scope="session")
def mnist_idx_dir(request, tmp_path_factory):
    """$MNIST_IDX_DIR, else shared/data/mnist-idx beside the repo, else the t10k files written from the npz."""
    if os.environ.get("MNIST_IDX_DIR"):
        return require_path(os.environ["MNIST_IDX_DIR"], "MNIST IDX folder (MNIST_IDX_DIR)")
    if (SHARED_DATA / "mnist-idx").is_dir():
        return SHARED_DATA / "mnist-idx"
    folder, mnist = tmp_path_factory.mktemp("mnist-idx"), request.getfixturevalue("mnist")
    write_idx(folder / "t10k-images-idx3-ubyte.gz", mnist.x_test, compress=True)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", mnist.y_test, compress=True)
    return folder


@pytest.fixture(scope="session")
def mnist(mnist_npz_path):
    from mnist_edge.train.data import load_npz

    return load_npz(mnist_npz_path)


@pytest.fixture(scope="session")
def small_run(mnist, tmp_path_factory):
    """A small model trained on 6,000 images and exported in all four variants (about 30 s)."""
    require_module("tensorflow")
    from mnist_edge.export.exporter import ExportSettings, export_all
    from mnist_edge.train.training import TrainConfig, train

    out_dir = tmp_path_factory.mktemp("small_run")
    # Every epoch augmented, as the tests that use it were measured with (a clean last epoch
    # makes this small model read the own-handwriting loop's digits too well to need it).
    config = TrainConfig(epochs=3, train_subset=6000, validation_size=1000, clean_epochs=0)
    train(mnist, config, out_dir, log=lambda message: None)
    export_all(out_dir / "model.keras", out_dir, mnist, ExportSettings(representative_size=200),
               log=lambda message: None)
    return out_dir


@pytest.fixture(scope="session")
def full_run(mnist_npz_path, tmp_path_factory):
    """`mnist-edge pipeline` on the full data with default settings, once per session.

    Lives here, not in a test module, so every full-data test module shares the one run.
    """
    require_module("tensorflow")
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


def skipped_under_ci(report):
    """Turn a skip (not an expected failure) into a failure that keeps the skip's reason."""
    if on_ci() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, which must run every test: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Covers pytest.skip in tests and fixtures and pytest.mark.skipif/skip (setup phase)."""
    outcome = yield
    skipped_under_ci(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """Covers a module-level pytest.skip(allow_module_level=True) or importorskip."""
    outcome = yield
    skipped_under_ci(outcome.get_result())


@pytest.fixture
def disk_events(monkeypatch):
    """Spies around the real os.fsync and os.replace: ("fsync", path) and ("replace",
    destination) in the order the calls reached the disk."""
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{descriptor}")))
        real_fsync(descriptor)

    def replace(source, destination):
        events.append(("replace", str(destination)))
        real_replace(source, destination)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return events
