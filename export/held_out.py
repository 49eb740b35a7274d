"""The user's held-out pictures in the comparison: every model's accuracy on them, and which
readings fine-tuning changed (report_plot.plot_changes draws those)."""

import numpy as np

from edge_runtime.model import DigitModel

MAX_LISTED_CHANGES = 200
SPLIT_FIELDS = ("folder", "sha256", "held_out_sha256", "holdout", "split_seed", "held_out_counts", "held_out_files")


def accuracy(labels, predictions):
    return {"accuracy": float(np.mean(predictions == labels)), "correct": int(np.sum(predictions == labels))}


def tflite_predictions(path, images):
    predictions, _ = DigitModel(path, num_threads=1, rejecter=None).predict(images)
    return predictions


def changed_readings(labels, before, after, files, names):
    """The held-out pictures whose reading differs between the model before and after
    fine-tuning, with counts of those it fixed and broke."""
    changed = np.flatnonzero(before != after)
    listed = [{"index": int(i), "file": files[i], "label": names[labels[i]], "before": names[before[i]],
               "after": names[after[i]]} for i in changed[:MAX_LISTED_CHANGES]]
    return {"count": int(len(changed)), "fixed": int(np.sum(after[changed] == labels[changed])),
            "broken": int(np.sum(before[changed] == labels[changed])), "images": listed}


def split_record(data):
    split = data.extra.split if data.extra is not None else data.folder
    record = split.record()
    return {name: record[name] for name in SPLIT_FIELDS}


def same_split_as_training(source_path, record):
    """True when the held-out pictures are those the model's training held out (history.json
    beside it records them), False when they differ (some may have been trained on), None
    when the model's training recorded no pictures."""
    import json
    from pathlib import Path

    history = Path(source_path).with_name("history.json")
    if not Path(source_path).is_file() or not history.is_file():
        return None
    data = json.loads(history.read_text(encoding="utf-8")).get("data", {})
    trained = data.get("extra") or data.get("folder")
    return None if not trained else trained.get("held_out_sha256") == record["held_out_sha256"]


def evaluate(source, before, paths, held_out, data):
    """{"images", split fields, "models": {name: accuracy}, "changed": ...} on the held-out pictures."""
    from mnist_edge.export.compare import run_keras

    images, labels, files = held_out
    labels = labels.astype(np.int64)
    record = {"images": int(len(labels)), **split_record(data), "models": {}}
    record["same_as_training"] = same_split_as_training(source.path, record)
    if len(labels) == 0:
        return record
    after, _ = run_keras(source, images)
    record["models"]["keras"] = accuracy(labels, after)
    for variant, path in paths.items():
        record["models"][variant] = accuracy(labels, tflite_predictions(path, images))
    if before is not None:
        previous, _ = run_keras(before, images)
        record["models"]["before"] = accuracy(labels, previous)
        record["changed"] = changed_readings(labels, previous, after, files, source.labels)
    return record
