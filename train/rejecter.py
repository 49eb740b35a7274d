"""The "is this one digit?" model: trained on generated crops, exported to int8 TFLite.

The digit classifier always names a digit, even for a blank, a smudge or two touching
digits (a blank 28x28 read as "1" at 0.94). This small second model says whether a crop
shows exactly one digit; the runtime drops what it rejects, judged with the crop's line as
context (edge_runtime/reading.py). Trained only on MNIST's training digits and on negatives
the project generates (train/negatives.py).

    python -m mnist_edge.train.rejecter --data mnist.npz --out runs/rejecter
"""

import argparse
import dataclasses
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from edge_runtime.errors import run_command
from edge_runtime.files import atomic_path, write_bytes_atomic

LABELS = ("not_digit", "digit")
MODEL_NAME = "rejecter_int8.tflite"


@dataclasses.dataclass
class RejecterConfig:
    crops: int = 80_000       # drawn crops, half single digits, half not (train/negatives.py)
    pages: int = 1500         # generated photos whose runtime crops are added (digits and junk)
    validation_crops: int = 6_000
    validation_pages: int = 150
    epochs: int = 8
    batch_size: int = 128
    seed: int = 0


def build_rejecter():
    """A tenth of the digit classifier's cost: two small convolutions and one hidden layer."""
    import keras

    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1), name="image"),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(len(LABELS), activation="softmax", name="probabilities"),
    ], name="mnist_edge_rejecter")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def make_crops(data, config):
    """Training crops from MNIST's first 55,000 training digits, validation crops from the rest:
    drawn digits and non-digits, and what the runtime cuts from generated photos."""
    from mnist_edge.train.negatives import digit_and_negative_crops, page_crops

    def both(images, labels, crops, pages, seed):
        drawn, cut = digit_and_negative_crops(images, labels, crops, seed), page_crops(images, labels, pages, seed + 1000)
        return np.concatenate([drawn[0], cut[0]]), np.concatenate([drawn[1], cut[1]])

    train = both(data.x_train[:55000], data.y_train[:55000], config.crops, config.pages, config.seed)
    held = both(data.x_train[55000:], data.y_train[55000:], config.validation_crops, config.validation_pages,
                config.seed + 1)
    return train, held


def train_rejecter(data, config=RejecterConfig(), log=print):
    """A trained Keras rejecter and its validation accuracy on held-out generated crops."""
    import keras

    from mnist_edge.train.training import scale_images

    keras.utils.set_random_seed(config.seed)
    (x, y), (x_val, y_val) = make_crops(data, config)
    model = build_rejecter()
    model.fit(scale_images(x), y, batch_size=config.batch_size, epochs=config.epochs,
              validation_data=(scale_images(x_val), y_val), verbose=2)
    accuracy = float(np.mean(model.predict(scale_images(x_val), verbose=0).argmax(axis=1) == y_val))
    log(f"rejecter: {accuracy:.2%} of {len(y_val)} held-out generated crops right")
    return model, accuracy, (x_val, y_val)


def export_rejecter(model, data, out_dir, provenance):
    """int8 TFLite through the exporter's converter, with a sidecar naming its two labels."""
    from mnist_edge.export import convert, inspect_tflite, sidecars
    from mnist_edge.export.exporter import pick_images
    from mnist_edge.train.training import scale_images

    representative = scale_images(pick_images(data.x_train, 500, 0))
    model_bytes = convert.convert_variant(model, "int8", representative)
    from edge_runtime.interpreter import make_interpreter

    path = Path(out_dir) / MODEL_NAME
    write_bytes_atomic(path, model_bytes)
    _, interpreter = make_interpreter(path)
    inspection = {"ops": inspect_tflite.operator_versions(model_bytes),
                  "min_runtime_version": inspect_tflite.min_runtime_version(model_bytes)}
    sidecar = sidecars.build_sidecar("int8", model_bytes, interpreter, inspection, provenance)
    sidecar["labels"] = list(LABELS)
    sidecar["output"]["meaning"] = "softmax: P(not one digit), P(one digit)"
    sidecars.write_sidecar(path, sidecar)
    return path


def measure(path, crops):
    """Share of held-out crops the exported model gets right, through the real interpreter."""
    from edge_runtime.model import DigitModel

    model = DigitModel(path, rejecter=None)
    x, y = crops
    predicted, _ = model.predict(x)
    return float(np.mean(predicted == y))


def run(arguments):
    from mnist_edge.train import data as mnist_data

    data = mnist_data.resolve_and_load(arguments.data)
    config = RejecterConfig(crops=arguments.crops, pages=arguments.pages, epochs=arguments.epochs,
                            seed=arguments.seed)
    Path(arguments.out).mkdir(parents=True, exist_ok=True)
    model, keras_accuracy, held = train_rejecter(data, config)
    with atomic_path(Path(arguments.out) / "rejecter.keras") as temporary:
        model.save(temporary)
    provenance = {"training": {**dataclasses.asdict(config), "data": "MNIST training digits 0-54999, drawn "
                               "non-digits, and runtime crops of generated photos (train/negatives.py)"},
                  "validation": {"crops": len(held[1]), "keras_accuracy": keras_accuracy}}
    path = export_rejecter(model, data, arguments.out, provenance)
    tflite_accuracy = measure(path, held)
    from mnist_edge.export.sidecars import update_sidecar
    update_sidecar(path, validation={**provenance["validation"], "int8_accuracy": tflite_accuracy})
    print(f"wrote {path} (int8 right on {tflite_accuracy:.2%} of held-out crops)")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="mnist-edge train-rejecter",
                                     description="Train and export the 'one digit or not' model.")
    parser.add_argument("--data", help="mnist.npz or a folder of IDX files (default as for train)")
    parser.add_argument("--out", required=True, help="folder for rejecter_int8.tflite and its sidecar")
    parser.add_argument("--crops", type=int, default=RejecterConfig.crops)
    parser.add_argument("--pages", type=int, default=RejecterConfig.pages)
    parser.add_argument("--epochs", type=int, default=RejecterConfig.epochs)
    parser.add_argument("--seed", type=int, default=0)
    return run_command("mnist-edge train-rejecter", run, parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
