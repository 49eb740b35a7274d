"""Run Keras and every TFLite variant over the test set and measure what conversion cost."""

import time
from pathlib import Path

import numpy as np

from edge_runtime import sidecar as sidecar_io
from edge_runtime.errors import UserInputError
from edge_runtime.model import DigitModel
from mnist_edge.export.exporter import model_filename
from mnist_edge.export.convert import VARIANTS
from mnist_edge.train.training import scale_images

NUM_CLASSES = 10
MAX_LISTED_DISAGREEMENTS = 50


def confusion_matrix(labels, predictions, classes=NUM_CLASSES):
    """Rows are true labels, columns predictions."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)
    return matrix


def per_class_accuracy(matrix):
    return (np.diag(matrix) / np.maximum(matrix.sum(axis=1), 1)).round(6).tolist()


def accuracy_record(labels, predictions, classes=NUM_CLASSES):
    matrix = confusion_matrix(labels, predictions, classes)
    return {
        "accuracy": float(np.mean(predictions == labels)),
        "per_class_accuracy": per_class_accuracy(matrix),
        "confusion_matrix": matrix.tolist(),
    }


def run_keras(keras_model, images):
    """Keras predictions and probabilities for uint8 images (a Keras model trained on pixel /
    255, or a SourceModel, which knows its own input scaling)."""
    if hasattr(keras_model, "probabilities"):
        probabilities = keras_model.probabilities(images)
    else:
        probabilities = keras_model.predict(scale_images(images), batch_size=500, verbose=0)
    return probabilities.argmax(axis=1), probabilities


def run_tflite(model_path, images, progress=None):
    """Predictions, scores and per-image latencies (quantize + invoke + dequantize) on one thread."""
    digit_model = DigitModel(model_path, num_threads=1, rejecter=None)
    predictions = np.empty(len(images), dtype=np.int64)
    scores = np.empty((len(images), len(digit_model.labels)), dtype=np.float32)
    latencies = np.empty(len(images), dtype=np.float64)
    for index in progress(range(len(images))) if progress else range(len(images)):
        started = time.perf_counter_ns()
        scores[index] = digit_model.scores(images[index])
        latencies[index] = time.perf_counter_ns() - started
        predictions[index] = scores[index].argmax()
    return predictions, scores, latencies / 1000.0, digit_model.backend


def tflite_record(model_path, labels, keras_predictions, run, classes=NUM_CLASSES):
    """The report entry for one TFLite model from its run_tflite() result."""
    predictions, _, latencies_us, backend = run
    return {
        **accuracy_record(labels, predictions, classes),
        "agreement_with_keras": float(np.mean(predictions == keras_predictions)),
        "bytes": Path(model_path).stat().st_size,
        "latency_us_p50": round(float(np.median(latencies_us)), 2),
        "latency_us_p99": round(float(np.percentile(latencies_us, 99)), 2),
        "backend": backend,
        "threads": 1,
    }


def disagreements(labels, first, second, first_name="float32", second_name="int8"):
    """The test images where two models' top-1 predictions differ."""
    (first_predictions, first_scores), (second_predictions, second_scores) = first, second
    indices = np.flatnonzero(first_predictions != second_predictions)
    return [
        {"index": int(i), "label": int(labels[i]),
         first_name: int(first_predictions[i]), f"{first_name}_score": round(float(first_scores[i].max()), 4),
         second_name: int(second_predictions[i]), f"{second_name}_score": round(float(second_scores[i].max()), 4)}
        for i in indices
    ]


def size_of(path):
    """Bytes of a model file, or of a SavedModel folder's files."""
    path = Path(path)
    return path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def check_exported_from(model_path, keras_sha256, keras_path):
    """A model whose sidecar names another source model.keras is left from an older export."""
    recorded = sidecar_io.read_sidecar(model_path).get("source_model", {}).get("sha256")
    if recorded and recorded != keras_sha256:
        raise UserInputError(
            f"{sidecar_io.sidecar_path(model_path)}: exported from another model.keras (sha256 {recorded[:8]}..., "
            f"{Path(keras_path).name} is {keras_sha256[:8]}...); run `mnist-edge export` again")


def exported_models(keras_path, model_dir, variants, keras_sha256=None):
    """{variant: path} of the models present, each checked against its sidecar and model.keras."""
    from mnist_edge.export.own_model import sha256_of_path

    keras_sha256 = keras_sha256 or sha256_of_path(keras_path)
    paths = {variant: Path(model_dir) / model_filename(variant) for variant in variants}
    paths = {variant: path for variant, path in paths.items() if path.is_file()}
    for path in paths.values():
        check_exported_from(path, keras_sha256, keras_path)
    return paths


def compare(keras_model, keras_path, model_dir, data, progress_factory=None, variants=VARIANTS, before=None):
    """The full comparison as a report dict (schema in README: "Reading the report").
    `keras_model` is a Keras model trained on pixel / 255 with digit labels, or a SourceModel
    (export/own_model.py); `before`, the SourceModel fine-tuned from, is compared too."""
    from mnist_edge.export.own_model import SourceModel

    source = keras_model if isinstance(keras_model, SourceModel) else SourceModel(Path(keras_path), keras_model)
    paths = exported_models(keras_path, model_dir, variants, source.sha256 or None)
    classes = len(source.labels)
    labels = data.y_test.astype(np.int64)
    keras_predictions, _ = run_keras(source, data.x_test)
    models = {"keras": {**accuracy_record(labels, keras_predictions, classes), "bytes": size_of(keras_path)}}
    runs = {}
    for variant, path in paths.items():
        progress = progress_factory(variant) if progress_factory else None
        runs[variant] = run_tflite(path, data.x_test, progress)
        models[variant] = tflite_record(path, labels, keras_predictions, runs[variant], classes)
    report = {"test_samples": int(len(labels)), "test_set": data.source, "labels": list(source.labels),
              "models": models}
    if before is not None:
        before_predictions, _ = run_keras(before, data.x_test)
        models["before"] = {**accuracy_record(labels, before_predictions, classes), "bytes": size_of(before.path),
                            "file": str(before.path)}
    if "float32" in runs and "int8" in runs:
        pairs = [runs[name][:2] for name in ("float32", "int8")]
        found = disagreements(labels, *pairs)
        report["float32_int8_disagreements"] = {"count": len(found), "images": found[:MAX_LISTED_DISAGREEMENTS]}
    held_out = data.user_held_out()
    if held_out is not None:
        from mnist_edge.export import held_out as held_out_report

        report["user_held_out"] = held_out_report.evaluate(source, before, paths, held_out, data)
    return report


def architecture_of(keras_path):
    """The architecture named in the history.json beside the model, else the folder's name."""
    import json

    history = Path(keras_path).with_name("history.json")
    if history.is_file():
        return json.loads(history.read_text(encoding="utf-8"))["config"].get("arch", "seed")
    return Path(keras_path).parent.name


SIDE_BY_SIDE_FIELDS = ("accuracy", "bytes", "latency_us_p50")


def side_by_side(reports):
    """{architecture: {model: {accuracy, bytes, latency}}} from {architecture: compare() report}:
    the figures a user weighs when choosing between two trained architectures."""
    if len(reports) < 2:
        raise ValueError(f"side by side needs two architectures, got {sorted(reports)}")
    return {arch: {name: {field: record[field] for field in SIDE_BY_SIDE_FIELDS if field in record}
                   for name, record in report["models"].items()}
            for arch, report in reports.items()}


def apply_gate(report, budget_points):
    """Deployment gate: int8 may fall at most `budget_points` percentage points below Keras."""
    models = report["models"]
    drop = None
    if "int8" in models:  # rounded: accuracies are counts over the test set, not reals
        drop = round(100.0 * (models["keras"]["accuracy"] - models["int8"]["accuracy"]), 6)
    passed = drop is not None and drop <= budget_points
    report["gate"] = {"int8_drop_points": drop,
                      "budget_points": budget_points, "passed": passed}
    return passed
