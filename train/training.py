"""A seeded, resumable training loop that writes every artifact atomically."""

import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from edge_runtime.errors import UserInputError, first_line
from edge_runtime.files import atomic_path, locked_folder, write_text_atomic

CHECKPOINT_NAME = "checkpoint.keras"
STATE_NAME = "train_state.json"
MODEL_NAME = "model.keras"
HISTORY_NAME = "history.json"
CURVES_NAME = "training_curves.png"


@dataclasses.dataclass
class TrainConfig:
    """Everything that decides the trained weights. Checkpoints record it to refuse mismatches."""

    arch: str = "edge"      # defaults are the edge recipe; TrainConfig.recipe("seed") is the original
    epochs: int = 16
    batch_size: int = 128
    learning_rate: float = 3e-3  # the peak rate under the cosine schedule
    validation_size: int = 5000
    train_subset: int = 0  # 0 = all training images; a subset makes quick experiments and tests
    seed: int = 0
    augment: bool = True   # seeded shifts, rotations, scalings and stroke widths (train/augment.py)
    clean_epochs: int = 1  # the last epochs train on the images as they are (see epoch_images)
    schedule: str = "cosine"
    finetune_from: str = ""  # sha256 of the model.keras training continues from; "" = from scratch

    @classmethod
    def recipe(cls, arch="edge", **overrides):
        """The recipe `arch` is trained with (train/recipe.py), with any field overridden."""
        from mnist_edge.train.recipe import recipe_for

        return cls(arch=arch, **{**recipe_for(arch), **overrides})

    @classmethod
    def finetune_recipe(cls, arch, source_sha256, **overrides):
        """The fine-tuning recipe (train/recipe.py) for continuing a trained `arch` model."""
        from mnist_edge.train.recipe import FINETUNE_RECIPE

        return cls(arch=arch, finetune_from=source_sha256, **{**FINETUNE_RECIPE, **overrides})

    def identity(self):
        """The fields that must match for a checkpoint to be resumed (epochs may grow).
        finetune_from only when set, so checkpoints written before it existed still resume."""
        fields = dataclasses.asdict(self)
        fields.pop("epochs")
        if not fields["finetune_from"]:
            fields.pop("finetune_from")
        return fields


def scale_images(images):
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1], exactly as the sidecar records."""
    return (images.astype(np.float32) / 255.0)[..., np.newaxis]


def split_train_validation(data, config):
    """Hold out a seeded validation slice of the training set; the test set is never touched."""
    order = np.random.default_rng(config.seed).permutation(len(data.x_train))
    if config.train_subset:
        order = order[: config.train_subset + config.validation_size]
    if config.validation_size >= len(order):
        raise UserInputError(
            f"validation size {config.validation_size} leaves no training images out of {len(order)}")
    validation, train = order[: config.validation_size], order[config.validation_size:]
    return with_extra_images((data.x_train[train], data.y_train[train]), data), \
        (data.x_train[validation], data.y_train[validation])


def with_extra_images(train, data):
    """The user's --extra pictures (training part, oversampled) appended to the training split;
    the epoch permutation mixes them in."""
    if data.extra is None:
        return train
    images, labels = data.extra.training_arrays()
    return np.concatenate([train[0], images]), np.concatenate([train[1], labels])


def make_deterministic(seed):
    """Same seed, same weights: seeds Python/NumPy/TF and asks TF for deterministic kernels."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def damaged(path, problem):
    return UserInputError(f"{path}: damaged training checkpoint ({problem}); pass --restart to start over")


def read_state(state_path):
    """train_state.json as a dict with a history list; UserInputError naming it otherwise."""
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except RecursionError:
        raise damaged(state_path, "nested too deeply") from None
    except (OSError, ValueError) as error:  # ValueError covers bad JSON and bad UTF-8
        raise damaged(state_path, first_line(error)) from None
    if not isinstance(state, dict) or not isinstance(state.get("history"), list) \
            or not all(isinstance(entry, dict) for entry in state["history"]):
        raise damaged(state_path, "no list of finished epochs")
    return state


def load_checkpoint(checkpoint_path, state):
    """The Keras model of checkpoint.keras with its random-number states restored."""
    import keras

    try:
        model = keras.models.load_model(checkpoint_path, safe_mode=True)
    except Exception as error:  # Keras raises many types for a damaged file
        raise damaged(checkpoint_path, f"{type(error).__name__}: {first_line(error)}") from None
    restore_seed_generators(model, state.get("seed_generators", []), checkpoint_path)
    return model


def load_state(out_dir, config, data_fingerprint):
    """Return (model, history) to resume from, or (None, []) for a fresh start."""
    state_path, checkpoint_path = out_dir / STATE_NAME, out_dir / CHECKPOINT_NAME
    if not (state_path.is_file() and checkpoint_path.is_file()):
        return None, []
    state = read_state(state_path)
    if state.get("config") != config.identity() or state.get("data") != data_fingerprint:
        raise UserInputError(
            f"{out_dir}: holds training from different settings or data; "
            "use another --out or pass --restart to start over")
    return load_checkpoint(checkpoint_path, state), state["history"]


def seed_generators(model):
    """Layers' random-number states (Dropout's). A .keras file keeps the seed but resets the
    counter, so a resumed run would draw other dropout masks than an uninterrupted one."""
    return [layer.seed_generator.state for layer in model.layers if hasattr(layer, "seed_generator")]


def restore_seed_generators(model, saved, checkpoint_path):
    states = seed_generators(model)
    if not isinstance(saved, list) or len(states) != len(saved):
        raise damaged(checkpoint_path, f"{len(states)} random-number states in the model, "
                                       f"{STATE_NAME} records {saved!r:.40}")
    try:
        for state, values in zip(states, saved):
            state.assign(np.asarray(values, dtype=state.dtype))
    except (TypeError, ValueError) as error:
        raise damaged(checkpoint_path, f"random-number state: {first_line(error)}") from None


def save_checkpoint(out_dir, model, config, data, history):
    """Checkpoint first, state second: the state never points at a checkpoint that is not there."""
    with atomic_path(out_dir / CHECKPOINT_NAME) as temporary:
        model.save(temporary)
    state = {"config": config.identity(), "data": data.fingerprint(), "history": history,
             "seed_generators": [np.asarray(state).tolist() for state in seed_generators(model)],
             "data_record": data.record()}
    write_text_atomic(out_dir / STATE_NAME, json.dumps(state, indent=2))


def epoch_images(train, config, epoch):
    """This epoch's seeded permutation, augmented under the same key when the recipe says so.

    The last `clean_epochs` epochs see the images as they are: the model is used on
    MNIST-like crops, and batch norm keeps the statistics of the last batches it saw, so
    ending on augmented images left them fitted to a distribution inference never meets
    (README "The default: the edge recipe" has the validation figures)."""
    x_train, y_train = train
    order = np.random.default_rng([config.seed, epoch]).permutation(len(x_train))
    if config.augment and epoch < config.epochs - config.clean_epochs:
        from mnist_edge.train.augment import augment

        return augment(x_train[order], config.seed, epoch), y_train[order]
    return x_train[order], y_train[order]


def new_model(config, train_images, distributed=False):
    """The architecture compiled with the recipe's learning rate (or schedule)."""
    from mnist_edge.train.model import build_model
    from mnist_edge.train.recipe import learning_rate_for, steps_per_epoch

    steps = steps_per_epoch(train_images, config.batch_size)
    return build_model(config.arch, learning_rate_for(config, steps), distributed)


def without_autotuning(dataset):
    """tf.data with autotuning off. Keras feeds numpy arrays through an autotuned pipeline, and
    deleting an autotuned iterator at the end of fit() waits for the tuner's background task to
    wake up: idle stalls of up to 45 s per epoch measured here, a third of a training run."""
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def batches(images, labels, batch_size):
    """Scaled images and their labels, in order, in batches: one epoch's or one evaluation's input."""
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((scale_images(images), labels))
    return without_autotuning(dataset.batch(batch_size).prefetch(1))


def run_one_epoch(model, train, validation, config, epoch, progress):
    """Fit one epoch on a seeded permutation, so a resumed run sees the same batches."""
    x_train, y_train = epoch_images(train, config, epoch)
    started = time.perf_counter()
    result = model.fit(
        batches(x_train, y_train, config.batch_size), epochs=1, shuffle=False, verbose=0,
        validation_data=batches(*validation, config.batch_size),
        callbacks=[progress] if progress else [],
    )
    logs = {name: float(values[-1]) for name, values in result.history.items()}
    return {"epoch": epoch + 1, **logs, "seconds": round(time.perf_counter() - started, 2)}


def write_final_artifacts(out_dir, model, config, history, distributed=None, data=None, finetuned=None):
    """model.keras, history.json and the curves PNG, each replaced atomically. history.json
    also records the data (the user's files, counts and hashes) and the model continued from."""
    from mnist_edge.train.plots import plot_history

    with atomic_path(out_dir / MODEL_NAME) as temporary:
        model.save(temporary)
    record = {"config": dataclasses.asdict(config), "epochs": history}
    if data is not None:
        record["data"] = data.record()
    if finetuned:
        record["finetuned_from"] = finetuned
    if distributed:
        record["distributed"] = distributed
    write_text_atomic(out_dir / HISTORY_NAME, json.dumps(record, indent=2))
    plot_history(history, out_dir / CURVES_NAME)


def train(data, config, out_dir, restart=False, log=print, progress_factory=None, finetune_from=None):
    """Train (or resume training) into `out_dir`; return the trained Keras model.
    `finetune_from`: a trained model.keras to continue from (config.finetune_from is its sha256).

    The folder is locked for the run: a second run on it stops with a UserInputError.
    """
    with locked_folder(out_dir):
        return train_in(data, config, Path(out_dir), restart, log, progress_factory, finetune_from)


def starting_model(config, train_images, finetune_from):
    """A new model, or the trained one to fine-tune, compiled with the recipe's learning rate."""
    if not finetune_from:
        return new_model(config, train_images)
    from mnist_edge.train import finetune

    if config.finetune_from != finetune.source_sha256(finetune_from):
        raise ValueError("config.finetune_from must be the sha256 of the model fine-tuned from "
                         "(TrainConfig.finetune_recipe sets it), or a resume could continue another model")
    return finetune.load_for_finetuning(finetune_from, config, train_images)


def train_in(data, config, out_dir, restart, log, progress_factory, finetune_from=None):
    make_deterministic(config.seed)
    fingerprint = data.fingerprint()
    model, history = (None, []) if restart else load_state(out_dir, config, fingerprint)
    train_split, validation_split = split_train_validation(data, config)
    if model is None:
        model = starting_model(config, len(train_split[0]), finetune_from)
    elif len(history) >= config.epochs:
        log(f"{out_dir}: already trained for {len(history)} epochs; pass --restart to train again")
    else:
        log(f"{out_dir}: resuming after epoch {len(history)} of {config.epochs}")
    for epoch in range(len(history), config.epochs):
        progress = progress_factory(epoch, config) if progress_factory else None
        history.append(run_one_epoch(model, train_split, validation_split, config, epoch, progress))
        save_checkpoint(out_dir, model, config, data, history)
        log(format_epoch(history[-1], config.epochs))
    finetuned = {"file": str(Path(finetune_from).resolve()), "sha256": config.finetune_from} if finetune_from else None
    write_final_artifacts(out_dir, model, config, history, data=data, finetuned=finetuned)
    return model


def format_epoch(entry, total_epochs):
    return (f"epoch {entry['epoch']}/{total_epochs}: loss {entry['loss']:.4f} "
            f"accuracy {entry['accuracy']:.4f} val_loss {entry['val_loss']:.4f} "
            f"val_accuracy {entry['val_accuracy']:.4f} ({entry['seconds']:.1f} s)")
