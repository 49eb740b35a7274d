"""Continue a trained model.keras on new data (`mnist-edge train --finetune-from`)."""

import hashlib
import json
from pathlib import Path

from edge_runtime.errors import UserInputError


def source_sha256(path):
    """sha256 of the model fine-tuned from; a resumed run must continue from the same file."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as error:
        raise UserInputError(f"{path}: cannot read the model to fine-tune ({error.strerror or error})") from None


def source_arch(path, default):
    """The architecture recorded in the history.json beside the model, else `default`."""
    history = Path(path).with_name("history.json")
    try:
        return str(json.loads(history.read_text(encoding="utf-8"))["config"]["arch"])
    except (OSError, ValueError, KeyError, TypeError):
        return default


def load_for_finetuning(path, config, train_images):
    """The trained model, checked to be 28x28x1 -> 10 and compiled afresh: a new optimizer
    with the fine-tuning recipe's (low) learning rate, not the finished run's state."""
    import keras

    from mnist_edge.export.exporter import check_keras_model, load_keras_model
    from mnist_edge.train.recipe import learning_rate_for, steps_per_epoch

    model = load_keras_model(path)
    check_keras_model(path, model)
    steps = steps_per_epoch(train_images, config.batch_size)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate_for(config, steps)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
