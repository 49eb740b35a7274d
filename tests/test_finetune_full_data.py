"""Issue 12's must-show numbers: scikit-learn's 1,797 real 8x8 digits (43 writers MNIST never saw)
as the user's own handwriting, split 50/50 with seed 0. The default model (the session's
full_run, trained once for every full-data test) is fine-tuned on MNIST plus the training
half, exported and compared; the held-out half decides. About 2 minutes beyond full_run
on 2 cores (README: "Your own handwriting")."""

import json
import subprocess
import sys

import numpy as np
import pytest

from prerequisites import require_module

pytestmark = [pytest.mark.full_data, pytest.mark.slow]


def mnist_edge(*arguments):
    result = subprocess.run([sys.executable, "-m", "edge_runtime", *map(str, arguments)],
                            capture_output=True, text=True)
    print(result.stdout)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def sklearn_run(full_run, mnist_npz_path, tmp_path_factory):
    require_module("sklearn", "the stand-in for a user's own handwriting")
    from mnist_edge.train import sklearn_digits

    digits = tmp_path_factory.mktemp("sklearn-digits")
    sklearn_digits.write_folder_tree(digits)
    out = tmp_path_factory.mktemp("finetuned")
    split = ["--data", mnist_npz_path, "--extra", digits, "--holdout", "0.5", "--split-seed", "0"]
    mnist_edge("train", "--finetune-from", full_run[0] / "model.keras", *split, "--extra-weight", "10", "--out", out)
    mnist_edge("export", *split, "--out", out, "--variants", "float32", "int8")
    mnist_edge("compare", *split, "--out", out)
    return digits, out, json.loads((out / "report.json").read_text())


def test_the_shipped_model_reads_about_95_percent_of_the_held_out_half(sklearn_run):
    from edge_runtime import MODELS_DIR
    from edge_runtime.model import DigitModel
    from mnist_edge.train import folders

    digits, _, report = sklearn_run
    split = folders.load_split(digits, folders.FolderOptions(holdout=0.5, seed=0))
    assert list(split.held_out.files) == report["user_held_out"]["held_out_files"]
    predictions, _ = DigitModel(MODELS_DIR / "model_int8.tflite", rejecter=None).predict(split.held_out.images)
    assert 0.94 <= np.mean(predictions == split.held_out.labels) <= 0.97


def test_finetuning_reaches_98_percent_on_the_held_out_half(sklearn_run):
    """The default model, trained in this session, read the held-out half at 95.4 % on one
    CPU and 97.2 % on a faster one (training is deterministic per CPU only; fine-tuned there:
    99.0 %, 17 readings fixed and 1 broken): fine-tuning must reach 98.5 % and gain at least
    a point."""
    held = sklearn_run[2]["user_held_out"]
    print({name: model["accuracy"] for name, model in held["models"].items()}, held["changed"])
    assert held["images"] == 898 and held["same_as_training"] is True
    assert held["models"]["before"]["accuracy"] <= 0.98
    assert held["models"]["keras"]["accuracy"] >= 0.985
    assert held["models"]["keras"]["accuracy"] - held["models"]["before"]["accuracy"] >= 0.01
    assert held["changed"]["fixed"] >= 5 * max(1, held["changed"]["broken"])


def test_int8_is_within_0_3_points_of_keras_on_the_held_out_half(sklearn_run):
    models = sklearn_run[2]["user_held_out"]["models"]
    assert abs(models["keras"]["accuracy"] - models["int8"]["accuracy"]) <= 0.003 + 1e-9


def test_mnist_test_accuracy_drops_by_at_most_0_1_points(sklearn_run):
    models = sklearn_run[2]["models"]
    assert 100 * (models["before"]["accuracy"] - models["keras"]["accuracy"]) <= 0.10 + 1e-9
    assert models["keras"]["accuracy"] >= 0.994


def test_the_sidecars_record_the_users_data(sklearn_run):
    _, out, report = sklearn_run
    sidecar = json.loads((out / "model_int8.json").read_text())
    extra = sidecar["user_data"]["extra"]
    assert extra["sha256"] == report["user_held_out"]["sha256"] and extra["weight"] == 10
    assert sum(extra["train_counts"].values()) == 899 and sum(extra["held_out_counts"].values()) == 898
    assert sidecar["user_held_out_accuracy"]["images"] == 898
    assert (out / "report_changes.png").read_bytes()[:4] == b"\x89PNG"
