"""The main job on the full data with default settings: the numbers the project promises.

Runs `mnist-edge pipeline` once per session (a few minutes on two cores), then checks its
report, and that every exported variant classifies identically in ai-edge-litert and in
tflite-runtime 2.14 (which needs numpy<2, so it lives in its own venv: TFLITE_RUNTIME_PYTHON).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from prerequisites import REPO, missing

pytestmark = pytest.mark.full_data
VARIANTS = ("float32", "float16", "dynamic_range", "int8")
COMPAT_IMAGES = 2000


def test_keras_reaches_the_original_accuracy(full_report):
    assert full_report["test_samples"] == 10000
    assert full_report["models"]["keras"]["accuracy"] >= 0.990


def test_float32_agrees_with_keras(full_report):
    assert full_report["models"]["float32"]["agreement_with_keras"] >= 0.9995


def test_int8_stays_within_0_3_points(full_report):
    models = full_report["models"]
    assert 100 * (models["keras"]["accuracy"] - models["int8"]["accuracy"]) <= 0.3
    assert full_report["gate"]["passed"] is True


def test_file_sizes(full_report):
    assert full_report["models"]["int8"]["bytes"] <= 120_000
    assert full_report["models"]["float32"]["bytes"] <= 400_000


def test_every_variant_is_reported(full_report):
    for variant in VARIANTS:
        record = full_report["models"][variant]
        assert {"accuracy", "agreement_with_keras", "bytes", "latency_us_p50"} <= set(record)
        assert record["accuracy"] >= 0.985


def test_pipeline_prints_the_summary_table(full_run, full_report):
    _, stdout = full_run
    int8_accuracy = f"{100 * full_report['models']['int8']['accuracy']:.2f}"
    assert any(line.startswith("int8") and int8_accuracy in line for line in stdout.splitlines())


def predictions_with(python, backend, mnist_npz_path, model_paths):
    command = [python, str(REPO / "tests" / "predict_with_backend.py"), backend, str(mnist_npz_path),
               str(COMPAT_IMAGES), *map(str, model_paths)]
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def tflite_runtime_python():
    """The tflite-runtime venv's python (`make venv-tflite-runtime`, which needs a Python 3.11)."""
    python = os.environ.get("TFLITE_RUNTIME_PYTHON", str(REPO / ".venv-tflite-runtime" / "bin" / "python"))
    if not Path(python).exists():
        missing(f"tflite-runtime compatibility not checked: no tflite-runtime venv at {python}. tflite-runtime "
                "2.14 has wheels only up to Python 3.11: install python3.11 and run `make venv-tflite-runtime`, "
                "or set TFLITE_RUNTIME_PYTHON to a python with tflite-runtime 2.14 and numpy<2")
    return python


def test_every_variant_runs_identically_in_litert_and_tflite_runtime(tflite_runtime_python, full_run, mnist,
                                                                     mnist_npz_path):
    """tflite_runtime_python comes first, so a missing venv is reported before minutes of training."""
    model_paths = [full_run[0] / f"model_{variant}.tflite" for variant in VARIANTS]
    litert = predictions_with(sys.executable, "litert", mnist_npz_path, model_paths)
    legacy = predictions_with(tflite_runtime_python, "tflite-runtime", mnist_npz_path, model_paths)
    labels = mnist.y_test[:COMPAT_IMAGES]
    for path in map(str, model_paths):
        assert litert[path]["backend"] == "litert" and legacy[path]["backend"] == "tflite-runtime"
        assert legacy[path]["predictions"] == litert[path]["predictions"], path
        assert np.mean(np.array(legacy[path]["predictions"]) == labels) >= 0.985, path
