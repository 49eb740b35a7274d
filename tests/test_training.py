"""Training: held-out validation, determinism, resume after a kill, artifacts."""

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from edge_runtime.errors import UserInputError
from prerequisites import require_module

require_module("tensorflow")

from train.training import TrainConfig, split_train_validation  # noqa: E402

REPO_ARGS = ["--train-subset", "2000", "--validation-size", "500", "--epochs", "4"]


def test_validation_is_held_out_of_the_training_set(mnist):
    config = TrainConfig(train_subset=6000, validation_size=1000)
    (x_train, y_train), (x_validation, y_validation) = split_train_validation(mnist, config)
    assert len(x_train) == 6000 and len(x_validation) == 1000
    train_rows = {row.tobytes() for row in x_train}
    assert not any(row.tobytes() in train_rows for row in x_validation[:200])
    test_rows = {row.tobytes() for row in mnist.x_test}
    assert not any(row.tobytes() in test_rows for row in x_validation)


def test_small_run_writes_every_artifact(small_run):
    history = json.loads((small_run / "history.json").read_text())
    assert [entry["epoch"] for entry in history["epochs"]] == [1, 2, 3]
    assert history["config"]["train_subset"] == 6000
    assert history["epochs"][-1]["val_accuracy"] > 0.9
    assert (small_run / "training_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(small_run.glob(".*tmp*")), "no temporary files may be left behind"


def run_train(out_dir, mnist_npz_path, *extra):
    command = [sys.executable, "-m", "edge_runtime", "train", "--data", str(mnist_npz_path),
               "--out", str(out_dir), *REPO_ARGS, *extra]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def epochs_done(out_dir):
    state = out_dir / "train_state.json"
    return len(json.loads(state.read_text())["history"]) if state.is_file() else 0


def kill_after_first_epoch(process, out_dir):
    """SIGKILL the trainer as soon as its first checkpoint lands (no clean-up can run)."""
    while process.poll() is None and epochs_done(out_dir) < 1:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    return epochs_done(out_dir)


def final_weights(out_dir):
    import keras

    return keras.models.load_model(out_dir / "model.keras", safe_mode=True).get_weights()


def test_killed_training_resumes_to_the_same_weights(mnist_npz_path, tmp_path):
    interrupted, uninterrupted = tmp_path / "interrupted", tmp_path / "uninterrupted"
    done_at_kill = kill_after_first_epoch(run_train(interrupted, mnist_npz_path), interrupted)
    assert 1 <= done_at_kill < 4 and not (interrupted / "model.keras").exists()

    resumed = run_train(interrupted, mnist_npz_path)
    output, errors = resumed.communicate()
    assert resumed.returncode == 0, errors
    assert f"resuming after epoch {done_at_kill} of 4" in output
    straight = run_train(uninterrupted, mnist_npz_path)
    assert straight.wait() == 0

    history = json.loads((interrupted / "history.json").read_text())["epochs"]
    reference = json.loads((uninterrupted / "history.json").read_text())["epochs"]
    assert [entry["epoch"] for entry in history] == [1, 2, 3, 4]
    # Bit-identical, not close: the same seeded batches, augmentation, dropout and optimizer state.
    assert [entry["loss"] for entry in history] == [entry["loss"] for entry in reference]
    ours, theirs = final_weights(interrupted), final_weights(uninterrupted)
    assert len(ours) == len(theirs)
    for mine, reference_weights in zip(ours, theirs):
        np.testing.assert_array_equal(mine, reference_weights)


def test_changed_settings_refuse_to_resume(mnist, tmp_path):
    from train.training import train

    config = TrainConfig(epochs=1, train_subset=500, validation_size=100)
    train(mnist, config, tmp_path, log=lambda message: None)
    changed = TrainConfig(epochs=2, train_subset=500, validation_size=100, batch_size=32)
    with pytest.raises(UserInputError, match="different settings or data; use another --out or pass --restart"):
        train(mnist, changed, tmp_path, log=lambda message: None)
