"""tf.distribute: two MultiWorkerMirroredStrategy workers on 127.0.0.1 train in lockstep, and the
chief's model exports and classifies. Bounded: free ports picked at run time, every wait timed out."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from prerequisites import require_module

require_module("tensorflow")

WORKERS = 2
TIMEOUT_SECONDS = 900  # generous for a loaded 2-core CI machine; a hang fails instead of blocking CI
ARGS = ["--train-subset", "4000", "--validation-size", "500", "--epochs", "2", "--batch-size", "64"]


def free_ports(count):
    """Ports the OS reports free right now (all held open together, so they differ)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for held in sockets:
            held.bind(("127.0.0.1", 0))
        return [held.getsockname()[1] for held in sockets]
    finally:
        for held in sockets:
            held.close()


def start_worker(index, ports, out_dir, mnist_npz_path):
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    environment = {**os.environ, "CUDA_VISIBLE_DEVICES": "",
                   "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
    command = [sys.executable, "-m", "edge_runtime", "train", "--strategy", "multiworker",
               "--data", str(mnist_npz_path), "--out", str(out_dir), *ARGS]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)


def wait_all(processes):
    """Each worker's (returncode, stderr); on a timeout every worker is killed and the test fails."""
    results = []
    try:
        for process in processes:
            _, errors = process.communicate(timeout=TIMEOUT_SECONDS)
            results.append((process.returncode, errors))
    except subprocess.TimeoutExpired:
        for process in processes:
            process.kill()
            process.communicate()
        pytest.fail(f"multi-worker training did not finish within {TIMEOUT_SECONDS} s")
    return results


@pytest.fixture(scope="module")
def two_worker_run(mnist_npz_path, tmp_path_factory):
    root = tmp_path_factory.mktemp("multiworker")
    out_dirs = [root / f"worker{index}" for index in range(WORKERS)]
    ports = free_ports(WORKERS)
    processes = [start_worker(index, ports, out_dirs[index], mnist_npz_path) for index in range(WORKERS)]
    for returncode, errors in wait_all(processes):
        assert returncode == 0, errors[-3000:]
    return out_dirs


def test_workers_train_in_lockstep(two_worker_run):
    import keras

    histories = [json.loads((out / "history.json").read_text()) for out in two_worker_run]
    assert [h["distributed"]["replicas"] for h in histories] == [WORKERS, WORKERS]
    assert [h["distributed"]["index"] for h in histories] == [0, 1]
    assert histories[0]["config"]["arch"] == "edge" and histories[0]["config"]["augment"] is True
    losses = [[entry["loss"] for entry in h["epochs"]] for h in histories]
    assert losses[0] == losses[1]
    weights = [keras.models.load_model(out / "model.keras", safe_mode=True).get_weights() for out in two_worker_run]
    for first, second in zip(*weights):
        np.testing.assert_array_equal(first, second)


def test_distributed_model_exports_and_classifies(two_worker_run, mnist):
    from edge_runtime.model import DigitModel
    from mnist_edge.export.exporter import ExportSettings, export_all

    chief = two_worker_run[0]
    written = export_all(chief / "model.keras", chief, mnist,
                         ExportSettings(variants=("float32", "int8"), representative_size=200),
                         log=lambda line: None)
    predictions, _ = DigitModel(written["int8"]).predict(mnist.x_test[:1000])
    assert np.mean(predictions == mnist.y_test[:1000]) >= 0.90


def test_multiworker_without_tf_config_is_a_one_line_error(monkeypatch):
    from edge_runtime.errors import UserInputError
    from mnist_edge.train.distributed import make_strategy

    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(UserInputError, match="needs TF_CONFIG"):
        make_strategy("multiworker")
    with pytest.raises(UserInputError, match="unknown strategy 'ring'"):
        make_strategy("ring")
