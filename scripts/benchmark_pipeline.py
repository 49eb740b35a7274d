"""Benchmark (not a test): training time per epoch and per-image inference latency.

    .venv/bin/python scripts/benchmark_pipeline.py --run runs/main [--train-epochs 1]

Times a fresh training epoch on the full data (median of --train-epochs), Keras'
single-image call, and each TFLite variant in --run (quantize + invoke + dequantize,
one thread, median and p99 over --images test images after a warm-up). Prints a table
and writes benchmark.json beside the models. Machines are shared and noisy: compare
ratios and medians, not single numbers.
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from edge_runtime.files import write_text_atomic  # noqa: E402
from edge_runtime.model import DigitModel  # noqa: E402
from mnist_edge.export.convert import VARIANTS  # noqa: E402
from mnist_edge.export.report import format_table  # noqa: E402
from mnist_edge.train import data as mnist_data  # noqa: E402
from mnist_edge.train.training import TrainConfig, scale_images, train  # noqa: E402

WARM_UP = 50


def time_training(data, epochs):
    """Seconds per epoch of the default recipe on the full training split."""
    with tempfile.TemporaryDirectory() as out_dir:
        train(data, TrainConfig(epochs=epochs), out_dir, log=lambda message: None)
        history = json.loads((Path(out_dir) / "history.json").read_text())["epochs"]
    return [entry["seconds"] for entry in history]


def time_calls(function, inputs):
    """Per-call microseconds after a warm-up."""
    for item in inputs[:WARM_UP]:
        function(item)
    timings = []
    for item in inputs:
        started = time.perf_counter_ns()
        function(item)
        timings.append((time.perf_counter_ns() - started) / 1000.0)
    return timings


def latency_row(name, timings, size_bytes):
    return (name, f"{statistics.median(timings):.1f}", f"{np.percentile(timings, 99):.1f}",
            f"{size_bytes / 1024:.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="a pipeline output folder")
    parser.add_argument("--data")
    parser.add_argument("--train-epochs", type=int, default=1)
    parser.add_argument("--images", type=int, default=2000)
    arguments = parser.parse_args()
    import keras

    data = mnist_data.resolve_and_load(arguments.data)
    run = Path(arguments.run)
    images = data.x_test[: arguments.images]
    epoch_seconds = time_training(data, arguments.train_epochs) if arguments.train_epochs else []
    keras_model = keras.models.load_model(run / "model.keras", safe_mode=True)
    keras_inputs = scale_images(images[:500])[:, np.newaxis]
    rows = [latency_row("keras (model(x))", time_calls(lambda x: keras_model(x, training=False), keras_inputs),
                        (run / "model.keras").stat().st_size)]
    for variant in VARIANTS:
        path = run / f"model_{variant}.tflite"
        model = DigitModel(path, num_threads=1)
        rows.append(latency_row(f"{variant} ({model.backend})", time_calls(model.scores, images),
                                path.stat().st_size))
    print(f"training: {len(epoch_seconds)} epoch(s), median {statistics.median(epoch_seconds):.1f} s/epoch"
          if epoch_seconds else "training: not timed")
    print(format_table(rows, ("model", "p50 µs", "p99 µs", "size KiB")))
    result = {"train_epoch_seconds": epoch_seconds, "cpu_count": os.cpu_count(),
              "latency": [dict(zip(("model", "p50_us", "p99_us", "kib"), row)) for row in rows]}
    write_text_atomic(run / "benchmark.json", json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
