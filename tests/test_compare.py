"""Comparison arithmetic on hand-made arrays, and the report files of a real small run."""

import json
import subprocess
import sys

import numpy as np
import pytest

from prerequisites import require_module

require_module("tensorflow")

from mnist_edge.export import compare, report  # noqa: E402


def test_confusion_matrix_and_per_class_accuracy():
    labels = np.array([0, 0, 1, 1, 2, 9])
    predictions = np.array([0, 1, 1, 1, 2, 4])
    matrix = compare.confusion_matrix(labels, predictions)
    assert matrix[0].tolist()[:2] == [1, 1] and matrix[9, 4] == 1 and matrix.sum() == 6
    assert compare.per_class_accuracy(matrix)[:3] == [0.5, 1.0, 1.0]
    assert compare.per_class_accuracy(matrix)[9] == 0.0
    assert compare.per_class_accuracy(matrix)[5] == 0.0  # no samples: 0, not a division error


def test_disagreements_list_only_differing_images():
    labels = np.array([3, 5, 7])
    first = (np.array([3, 5, 1]), np.eye(10)[[3, 5, 1]])
    second = (np.array([3, 6, 1]), np.eye(10)[[3, 6, 1]] * 0.5)
    found = compare.disagreements(labels, first, second)
    assert found == [{"index": 1, "label": 5, "float32": 5, "float32_score": 1.0, "int8": 6, "int8_score": 0.5}]


@pytest.mark.parametrize("keras_accuracy, int8_accuracy, budget, passed", [
    (0.9910, 0.9906, 0.5, True),
    (0.9910, 0.9850, 0.5, False),
    (0.9910, 0.9880, 0.3, True),
    (0.9910, 0.9879, 0.3, False),
])
def test_gate(keras_accuracy, int8_accuracy, budget, passed):
    result = {"models": {"keras": {"accuracy": keras_accuracy}, "int8": {"accuracy": int8_accuracy}}}
    assert compare.apply_gate(result, budget) is passed
    assert result["gate"]["int8_drop_points"] == pytest.approx(100 * (keras_accuracy - int8_accuracy), abs=1e-4)


def run_compare(out_dir, mnist_npz_path, budget):
    command = [sys.executable, "-m", "edge_runtime", "compare", "--data", str(mnist_npz_path),
               "--out", str(out_dir), "--budget", str(budget)]
    return subprocess.run(command, capture_output=True, text=True)


def test_compare_writes_reports_and_gates(small_run, mnist_npz_path, mnist):
    passed = run_compare(small_run, mnist_npz_path, budget=1.0)
    assert passed.returncode == 0, passed.stderr
    result = json.loads((small_run / "report.json").read_text())
    assert result["test_samples"] == 10000
    assert set(result["models"]) == {"keras", "float32", "float16", "dynamic_range", "int8"}
    float32 = result["models"]["float32"]
    assert float32["agreement_with_keras"] >= 0.9995 and float32["latency_us_p50"] > 0
    assert sum(map(sum, float32["confusion_matrix"])) == 10000
    markdown = (small_run / "report.md").read_text()
    assert f"{100 * float32['accuracy']:.2f}" in markdown and "**passed**" in markdown
    assert (small_run / "report.png").read_bytes()[:4] == b"\x89PNG"
    sidecar = json.loads((small_run / "model_int8.json").read_text())
    assert sidecar["test_accuracy"]["accuracy"] == result["models"]["int8"]["accuracy"]

    failed = run_compare(small_run, mnist_npz_path, budget=-50)
    assert failed.returncode == 3
    assert "deployment gate failed" in failed.stdout
    assert json.loads((small_run / "report.json").read_text())["gate"]["passed"] is False


def test_summary_table_formats_every_model():
    result = {"models": {"keras": {"accuracy": 0.991, "bytes": 2048},
                         "int8": {"accuracy": 0.9905, "agreement_with_keras": 0.998, "bytes": 1024,
                                  "latency_us_p50": 30.0}}}
    table = report.format_table(report.summary_rows(result))
    assert "99.10" in table and "99.05" in table and "99.80" in table and "30.0" in table


def test_the_gate_sentence_says_above_when_int8_beats_keras():
    assert report.gap_to_keras(0.12) == "0.12 points below Keras"
    assert report.gap_to_keras(-0.01) == "0.01 points above Keras"
    assert report.gap_to_keras(0.0) == "level with Keras"
