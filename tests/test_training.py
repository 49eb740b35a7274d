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

from mnist_edge.train.training import TrainConfig, split_train_validation  # noqa: E402

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
    from mnist_edge.train.training import train

    config = TrainConfig(epochs=1, train_subset=500, validation_size=100)
    train(mnist, config, tmp_path, log=lambda message: None)
    changed = TrainConfig(epochs=2, train_subset=500, validation_size=100, batch_size=32)
    with pytest.raises(UserInputError, match="different settings or data; use another --out or pass --restart"):
        train(mnist, changed, tmp_path, log=lambda message: None)


TINY = dict(epochs=1, train_subset=300, validation_size=100)


def write_resumable_state(out_dir, mnist, **changes):
    """A train_state.json that matches TINY and the data, as a finished first epoch writes it."""
    state = {"config": TrainConfig(**TINY).identity(), "data": mnist.fingerprint(),
             "history": [{"epoch": 1}], "seed_generators": [], **changes}
    (out_dir / "train_state.json").write_text(json.dumps(state))


@pytest.mark.parametrize("damage, damaged_file", [
    ("state_text", "train_state.json"),
    ("state_nested", "train_state.json"),
    ("state_without_history", "train_state.json"),
    ("checkpoint_text", "checkpoint.keras"),
    ("checkpoint_cut", "checkpoint.keras"),
])
def test_a_damaged_checkpoint_names_the_file_and_says_restart(mnist, small_run, tmp_path, damage, damaged_file):
    from mnist_edge.train.training import train

    checkpoint = (small_run / "model.keras").read_bytes()
    (tmp_path / "checkpoint.keras").write_bytes({"checkpoint_text": b"not a zip",
                                                 "checkpoint_cut": checkpoint[:len(checkpoint) // 2]}
                                                .get(damage, checkpoint))
    write_resumable_state(tmp_path, mnist)
    state = tmp_path / "train_state.json"
    if damage == "state_text":
        state.write_text('{"config": ')
    elif damage == "state_nested":
        state.write_text("[" * 200_000 + "]" * 200_000)
    elif damage == "state_without_history":
        write_resumable_state(tmp_path, mnist, history=None)
    with pytest.raises(UserInputError) as raised:
        train(mnist, TrainConfig(**TINY), tmp_path, log=lambda message: None)
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / damaged_file}: damaged training checkpoint (")
    assert message.endswith("; pass --restart to start over") and "\n" not in message


def test_a_second_run_on_the_same_out_is_refused_while_the_first_holds_it(mnist, tmp_path):
    from edge_runtime import files
    from mnist_edge.train.training import train

    with files.locked_folder(tmp_path):  # as the first run holds it
        with pytest.raises(UserInputError) as raised:
            train(mnist, TrainConfig(**TINY), tmp_path, log=lambda message: None)
    assert str(raised.value) == (f"{tmp_path}: another mnist-edge run is writing to this folder; "
                                 "wait for it to finish or use another --out")
    assert not (tmp_path / "model.keras").exists()


def test_temporaries_of_a_killed_run_are_removed_by_the_next_one(mnist, tmp_path):
    from mnist_edge.train.training import train

    ours = [".model.k3j_x9a2.tmp.keras", ".checkpoint.abcd1234.tmp.keras", ".train_state.a_b_c_d_.tmp.json"]
    others = [".notes.tmp", "draft.tmp.keras", ".model.keras.bak"]
    for name in ours + others:
        (tmp_path / name).write_text("left behind")
    (tmp_path / ".export-abcd1234.tmp").mkdir()
    (tmp_path / ".export-abcd1234.tmp" / "model_int8.tflite").write_text("half")
    train(mnist, TrainConfig(**TINY), tmp_path, log=lambda message: None)
    hidden = sorted(path.name for path in tmp_path.glob(".*"))
    assert hidden == sorted([".mnist-edge.lock", ".notes.tmp", ".model.keras.bak"])
    assert (tmp_path / "draft.tmp.keras").read_text() == "left behind"


def test_a_full_disk_during_training_is_one_line_naming_the_file(mnist_npz_path, tmp_path):
    """Writes beyond 20 kB really fail (RLIMIT_FSIZE: EFBIG, as ENOSPC would); the first
    checkpoint is 700 kB."""
    import resource

    def limit_writes():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write instead of killing us
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    command = [sys.executable, "-m", "edge_runtime", "train", "--data", str(mnist_npz_path),
               "--out", str(tmp_path), "--train-subset", "300", "--validation-size", "100", "--epochs", "1"]
    result = subprocess.run(command, capture_output=True, text=True, preexec_fn=limit_writes)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("mnist-edge")] == [
        f"mnist-edge train: error: {tmp_path / 'checkpoint.keras'}: File too large"]
