"""Benchmark (not a test): the edge recipe against the original (seed) recipe, side by side.

    .venv/bin/python scripts/benchmark_recipes.py --out runs/recipes [--data mnist.npz]

In one run, on one machine, for each recipe: trains on the full data while measuring
validation and test accuracy every eighth of an epoch (evaluation time excluded from the clock)
to find the time to 0.990 on each, both when first reached and from when it holds (recipes are
chosen on the validation split; test is reported, never chosen on); exports every TFLite variant;
compares them on the test set; times int8 and float32 invokes interleaved across the two
models (median, one thread); measures int8 calibration choices (representative-set size,
per-channel vs per-tensor); and checks robustness on synthetic photos and OpenCV's
digits.png when available. Prints the figures and writes
benchmark_recipes.json. The machine is shared and noisy: read ratios from one run.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from edge_runtime.files import write_bytes_atomic, write_text_atomic  # noqa: E402
from mnist_edge.export.report import format_table  # noqa: E402
from mnist_edge.train import data as mnist_data  # noqa: E402
from mnist_edge.train.training import TrainConfig, scale_images  # noqa: E402

TARGET = 0.990
SPLITS = ("validation", "test")  # the split recipes are chosen on, then the one only reported
PROBES_PER_EPOCH = 8
INVOKE_ROUNDS, INVOKES_PER_ROUND = 15, 200
CALIBRATION_SIZES = (100, 500, 2000)
SMOKE_PHOTOS, PHOTOS = 10, 200
DIGITS_PNG = Path("/usr/share/doc/opencv-doc/examples/data/digits.png")


class AccuracyProbe:
    """A Keras callback factory: validation and test accuracy every 1/PROBES_PER_EPOCH epoch,
    off the clock."""

    def __init__(self, splits, steps_per_epoch):
        import keras

        probe = self
        self.points, self.excluded, self.started = [], 0.0, time.perf_counter()
        self.every = max(1, steps_per_epoch // PROBES_PER_EPOCH)
        self.splits = {name: (scale_images(images), labels) for name, (images, labels) in splits.items()}
        self.epoch = 0

        class Callback(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                if (batch + 1) % probe.every == 0:
                    probe.measure(self.model, batch + 1)

        self.callback = Callback()

    def factory(self, epoch, config):
        self.epoch = epoch
        return self.callback

    def clock(self):
        return time.perf_counter() - self.started - self.excluded

    def measure(self, model, step):
        at, began = self.clock(), time.perf_counter()
        point = {"epoch": self.epoch, "step": step, "seconds": round(at, 2)}
        for name, (images, labels) in self.splits.items():
            predictions = np.concatenate([np.asarray(model(images[i:i + 2000], training=False)).argmax(1)
                                          for i in range(0, len(images), 2000)])
            point[name] = float(np.mean(predictions == labels))
        self.points.append(point)
        self.excluded += time.perf_counter() - began
        measured = " ".join(f"{name} {point[name]:.4f}" for name in self.splits)
        print(f"  epoch {self.epoch + 1} step {step}: {measured} at {at:.1f} s", flush=True)

    def time_to(self, split, target):
        """When a probe first measured `target` or more on `split`."""
        return next((point["seconds"] for point in self.points if point[split] >= target), None)

    def held_from(self, split, target):
        """When the probes on `split` reached `target` and never fell below it again: the
        stricter reading, since one lucky probe can cross early while the curve is still noisy."""
        held = None
        for point in self.points:
            if point[split] < target:
                held = None
            elif held is None:
                held = point["seconds"]
        return held


def train_recipe(data, arch, out_dir, overrides):
    """Train `arch`'s recipe afresh; return its training figures."""
    from mnist_edge.train.recipe import steps_per_epoch
    from mnist_edge.train.training import split_train_validation, train

    config = TrainConfig.recipe(arch, **overrides)
    train_split, validation_split = split_train_validation(data, config)
    steps = steps_per_epoch(len(train_split[0]), config.batch_size)
    probe = AccuracyProbe({"validation": validation_split, "test": (data.x_test, data.y_test)}, steps)
    train(data, config, out_dir, restart=True, log=lambda line: print("  " + line, flush=True),
          progress_factory=probe.factory)
    times = {f"seconds_{kind}_0990_{split}": reading(split, TARGET)
             for split in SPLITS for kind, reading in (("to", probe.time_to), ("held", probe.held_from))}
    return {"config": config.__dict__, "train_seconds": round(probe.clock(), 1), **times, "curve": probe.points}


def invoke_latencies(paths, image):
    """Median invoke-only microseconds per model, one thread, rounds interleaved across models
    so that load from other processes falls on every model alike."""
    from edge_runtime.model import DigitModel

    models = {name: DigitModel(path, num_threads=1) for name, path in paths.items()}
    samples = {name: [] for name in models}
    for name, model in models.items():
        model.scores(image)  # writes the input buffer once; then time invoke alone
    for _ in range(INVOKE_ROUNDS):
        for name, model in models.items():
            interpreter = model.interpreter
            for _ in range(INVOKES_PER_ROUND):
                started = time.perf_counter_ns()
                interpreter.invoke()
                samples[name].append(time.perf_counter_ns() - started)
    return {name: round(float(np.median(values)) / 1000, 2) for name, values in samples.items()}


def int8_accuracy(model_bytes, directory, name, data, keras_accuracy):
    """Test accuracy of int8 bytes through the edge runtime (sidecar borrowed from the export,
    with these bytes' size and SHA-256, which the runtime checks)."""
    from edge_runtime.model import DigitModel
    from mnist_edge.export.sidecars import sha256_of

    path = Path(directory) / f"calibration_{name}.tflite"
    write_bytes_atomic(path, model_bytes)
    sidecar = json.loads((Path(directory) / "model_int8.json").read_text())
    sidecar.update(bytes=len(model_bytes), sha256=sha256_of(model_bytes))
    write_text_atomic(path.with_suffix(".json"), json.dumps(sidecar))
    predictions, _ = DigitModel(path, num_threads=1).predict(data.x_test)
    accuracy = float(np.mean(predictions == data.y_test))
    return {"accuracy": accuracy, "drop_points": round(100 * (keras_accuracy - accuracy), 2),
            "bytes": len(model_bytes)}


def calibration_study(run_dir, data, keras_accuracy):
    """int8 accuracy for each representative-set size, per-channel (the default) and per-tensor."""
    from mnist_edge.export import convert
    from mnist_edge.export.exporter import load_keras_model, pick_images

    model = load_keras_model(Path(run_dir) / "model.keras")
    results = {}
    for size in CALIBRATION_SIZES:
        representative = scale_images(pick_images(data.x_train, size, 0))
        for granularity in ("per_channel", "per_tensor"):
            def configure(converter, representative=representative, granularity=granularity):
                convert.configure_int8(converter, representative)
                converter._experimental_disable_per_channel = granularity == "per_tensor"
            model_bytes = convert.convert_with(model, configure)
            name = f"{size}_{granularity}"
            results[name] = int8_accuracy(model_bytes, run_dir, name, data, keras_accuracy)
            print(f"  calibration {name}: {results[name]}", flush=True)
    return results


def digits_png_cells():
    import cv2

    path = DIGITS_PNG if DIGITS_PNG.is_file() else None
    if path is None:
        return None
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    cells = image.reshape(50, 20, 100, 20).transpose(0, 2, 1, 3).reshape(5000, 20, 20)
    return [cv2.copyMakeBorder(cell, 8, 8, 8, 8, cv2.BORDER_CONSTANT, value=0) for cell in cells], \
        np.repeat(np.arange(10), 500)


def robustness(paths, data, photo_count):
    """Per-digit accuracy through the edge runtime's detection on synthetic photos and digits.png."""
    from edge_runtime import classify, synthetic
    from edge_runtime.model import DigitModel

    photos = synthetic.make_photo_set(data.x_test, data.y_test, photo_count, seed=5)
    cells = digits_png_cells()
    results = {}
    for name, path in paths.items():
        model = DigitModel(path, num_threads=1)
        correct = total = 0
        for photo in photos:
            found = classify.classify_image(model, photo.image, min_score=0.0)
            correct += synthetic.count_correct(photo, found, synthetic.match_digits(photo, found))
            total += len(photo.labels)
        results[name] = {"photo_digits": total, "photo_recall": round(correct / total, 4)}
        if cells is not None:
            read = [classify.read_number(classify.classify_image(model, cell, min_score=0.0)) for cell in cells[0]]
            results[name]["digits_png_accuracy"] = float(np.mean([r == str(l) for r, l in zip(read, cells[1])]))
        print(f"  robustness {name}: {results[name]}", flush=True)
    return results


def export_and_compare(run_dir, data):
    from mnist_edge.export import compare
    from mnist_edge.export.exporter import ExportSettings, export_all, load_keras_model

    export_all(Path(run_dir) / "model.keras", run_dir, data, ExportSettings(), log=lambda line: print("  " + line))
    keras_path = Path(run_dir) / "model.keras"
    report = compare.compare(load_keras_model(keras_path), keras_path, run_dir, data)
    compare.apply_gate(report, 0.5)
    return report


def summary(results):
    """Rows of the side-by-side table, seed then edge."""
    rows = []
    for arch, result in results["recipes"].items():
        models, latency = result["report"]["models"], results["invoke_us_p50"]
        rows.append((arch, f"{100 * models['keras']['accuracy']:.2f}", f"{100 * models['int8']['accuracy']:.2f}",
                     f"{100 * (models['keras']['accuracy'] - models['int8']['accuracy']):.2f}",
                     f"{models['int8']['bytes'] / 1024:.1f}", f"{latency[arch + '_int8']:.1f}",
                     f"{latency[arch + '_float32']:.1f}", f"{result['train_seconds']:.0f}",
                     *(result[f"seconds_{kind}_0990_{split}"] for split in SPLITS for kind in ("to", "held"))))
    return rows


HEADER = ("recipe", "Keras %", "int8 %", "int8 drop pts", "int8 KiB", "int8 invoke µs", "float32 invoke µs",
          "train s", "s to 0.990 val", "s held 0.990 val", "s to 0.990 test", "s held 0.990 test")


def ratios(results):
    """The edge recipe against the seed's: time to 0.990 over the seed's whole training, int8 invoke."""
    seed, edge = results["recipes"]["seed"], results["recipes"]["edge"]
    figures = {f"edge_{kind}_0990_{split}_over_seed_train": edge[f"seconds_{kind}_0990_{split}"] / seed["train_seconds"]
               if edge[f"seconds_{kind}_0990_{split}"] else None
               for split in SPLITS for kind in ("to", "held")}
    latency = results["invoke_us_p50"]
    return {**figures, "edge_int8_latency_over_seed": latency["edge_int8"] / latency["seed_int8"]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="mnist.npz or IDX folder (default: $MNIST_NPZ, ...)")
    parser.add_argument("--out", required=True, help="folder for both runs and benchmark_recipes.json")
    parser.add_argument("--smoke", action="store_true",
                        help="1 epoch on 3,000 images: checks the script end to end, not the figures")
    arguments = parser.parse_args(argv)
    overrides = {"epochs": 1, "train_subset": 3000, "validation_size": 500} if arguments.smoke else {}
    out = Path(arguments.out)
    data = mnist_data.resolve_and_load(arguments.data)
    results = {"recipes": {}}
    for arch in ("seed", "edge"):
        print(f"== {arch}: train", flush=True)
        results["recipes"][arch] = train_recipe(data, arch, out / arch, overrides)
        print(f"== {arch}: export and compare", flush=True)
        results["recipes"][arch]["report"] = export_and_compare(out / arch, data)
    paths = {f"{arch}_{variant}": out / arch / f"model_{variant}.tflite"
             for arch in ("seed", "edge") for variant in ("int8", "float32")}
    print("== invoke latency", flush=True)
    results["invoke_us_p50"] = invoke_latencies(paths, data.x_test[0])
    print("== calibration (edge)", flush=True)
    edge_keras = results["recipes"]["edge"]["report"]["models"]["keras"]["accuracy"]
    results["calibration_edge"] = calibration_study(out / "edge", data, edge_keras)
    print("== robustness", flush=True)
    results["robustness"] = robustness({name: path for name, path in paths.items() if name.endswith("int8")}, data,
                                       SMOKE_PHOTOS if arguments.smoke else PHOTOS)
    results["ratios"] = ratios(results)
    for result in results["recipes"].values():
        for record in result["report"]["models"].values():  # keep the JSON readable
            record.pop("confusion_matrix", None)
        result["report"].pop("float32_int8_disagreements", None)
    write_text_atomic(out / "benchmark_recipes.json", json.dumps(results, indent=2) + "\n")
    print(format_table(summary(results), HEADER))
    print(json.dumps(results["ratios"], indent=2))
    print(f"wrote {out}/benchmark_recipes.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
