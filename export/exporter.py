"""Convert, verify, then install each TFLite variant; a failure leaves earlier files intact."""

import contextlib
import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from edge_runtime.errors import UserInputError, first_line
from edge_runtime.files import atomic_path, locked_folder, sync_path
from edge_runtime.model import DigitModel
from mnist_edge.export import convert, inspect_tflite, sidecars

# A fresh export must agree with Keras on this share of the check images before it is installed.
MIN_AGREEMENT = {"float32": 0.999, "float16": 0.99, "dynamic_range": 0.97, "int8": 0.97}
CHECK_IMAGES = 500


class ExportError(UserInputError):
    """A conversion or its verification failed; the message names the variant and the reason."""


@dataclasses.dataclass
class ExportSettings:
    variants: tuple = convert.VARIANTS
    representative_size: int = 500
    seed: int = 0


def model_filename(variant):
    return f"model_{variant}.tflite"


def load_keras_model(path):
    """Load a .keras file in safe mode (no arbitrary code from the file)."""
    import keras

    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"{path}: Keras model not found (run `mnist-edge train` first)")
    try:
        return keras.models.load_model(path, safe_mode=True)
    except Exception as error:  # Keras raises many types for a damaged or foreign file
        raise UserInputError(f"{path}: not a loadable .keras model ({type(error).__name__}: {error})") from None


def check_keras_model(path, model):
    """Refuse a model.keras that is not 28x28x1 -> 10 scores before anything is converted."""
    if len(model.inputs) != 1:
        raise UserInputError(f"{path}: model has {len(model.inputs)} inputs, expected one 28x28x1 image")
    input_shape = tuple(model.inputs[0].shape)
    if input_shape[1:] != (28, 28, 1):
        raise UserInputError(f"{path}: model input shape {input_shape} is not a 28x28x1 grayscale image")
    output_shape = tuple(model.outputs[0].shape) if len(model.outputs) == 1 else None
    if output_shape is None or len(output_shape) != 2 or output_shape[1] != len(sidecars.DEFAULT_LABELS):
        found = f"{len(model.outputs)} outputs" if output_shape is None else \
            f"{output_shape[-1]} outputs per image" if len(output_shape) == 2 else f"output shape {output_shape}"
        raise UserInputError(f"{path}: model has {found}, expected 10 (one per digit)")


def keras_source(path):
    """model.keras of our own training as a SourceModel: checked 28x28x1 -> 10 digits, [0, 1] input."""
    from mnist_edge.export.own_model import SourceModel, sha256_of_path

    model = load_keras_model(path)
    check_keras_model(path, model)
    return SourceModel(Path(path), model, sha256=sha256_of_path(path))


def as_source(model_or_path):
    """A SourceModel as it is; a path as our own model.keras."""
    from mnist_edge.export.own_model import SourceModel

    return model_or_path if isinstance(model_or_path, SourceModel) else keras_source(model_or_path)


def pick_images(images, count, seed):
    """A seeded sample of uint8 training images: calibration and checks use training data only."""
    order = np.random.default_rng(seed).permutation(len(images))[:count]
    return images[order]


def verify(variant, candidate_path, check_images, keras_predictions):
    """Load the new file in a real interpreter and require agreement with Keras. A sidecar
    beside the candidate gives the interpreter its labels and input scaling."""
    digit_model = DigitModel(candidate_path, rejecter=None)
    predictions, _ = digit_model.predict(check_images)
    agreement = float(np.mean(predictions == keras_predictions))
    if agreement < MIN_AGREEMENT[variant]:
        raise ExportError(f"{variant}: agrees with Keras on only {agreement:.1%} of "
                          f"{len(check_images)} check images (need {MIN_AGREEMENT[variant]:.1%})")
    return digit_model, agreement


def convert_variant(variant, model, representative):
    """Run one converter; any converter failure becomes an ExportError naming the variant."""
    try:
        return convert.convert_variant(model, variant, representative)
    except Exception as error:  # the TF converter raises ConverterError, ValueError, RuntimeError...
        raise ExportError(f"{variant}: conversion failed ({first_line(error)})") from None


def input_spec(labels, pixel_scale):
    """The sidecar fields the runtime needs to feed a model and name its classes."""
    return {"labels": list(labels), "input": {"pixel_scale": pixel_scale, "pixel_offset": 0.0}}


def export_variant(variant, model, out_dir, representative, check, provenance, spec=None):
    """Convert and verify in a temporary file, then rename it over the old model.
    `spec`: input_spec() of the model (default: digits 0-9, pixels / 255)."""
    spec = spec or input_spec(sidecars.DEFAULT_LABELS, sidecars.DEFAULT_PIXEL_SCALE)
    model_bytes = convert_variant(variant, model, representative)
    check_images, keras_predictions = check
    destination = Path(out_dir) / model_filename(variant)
    with atomic_path(destination) as temporary:
        temporary.write_bytes(model_bytes)
        sidecars.write_sidecar(temporary, spec)
        try:
            digit_model, agreement = verify(variant, temporary, check_images, keras_predictions)
        finally:
            sidecars.sidecar_path(temporary).unlink(missing_ok=True)
        inspection = {"ops": inspect_tflite.operator_versions(model_bytes),
                      "min_runtime_version": inspect_tflite.min_runtime_version(model_bytes)}
        checks = {"export_check": {"backend": digit_model.backend, "images": len(check_images),
                                   "agreement_with_keras": agreement}}
        sidecar = sidecars.build_sidecar(variant, model_bytes, digit_model.interpreter,
                                         inspection, {**provenance, **checks}, spec)
    sidecars.write_sidecar(destination, sidecar)
    return destination, sidecar


def training_record(source_path):
    """The history.json beside a model: its training settings and the data it was trained on."""
    history_path = Path(source_path).with_name("history.json")
    if not Path(source_path).is_file() or not history_path.is_file():
        return None, None
    history = json.loads(history_path.read_text(encoding="utf-8"))
    return history.get("config"), extra_data_summary(history.get("data", {}), history.get("finetuned_from"))


def extra_data_summary(data_record, finetuned_from):
    """The user's pictures a model was trained on, as the sidecar records them: hashes and counts."""
    folders = {key: data_record[key] for key in ("extra", "folder") if key in data_record}
    if not folders and not finetuned_from:
        return None
    summary = {key: {name: value[name] for name in ("folder", "sha256", "held_out_sha256", "holdout", "split_seed",
                                                     "train_counts", "held_out_counts", "weight") if name in value}
               for key, value in folders.items()}
    if finetuned_from:
        summary["finetuned_from"] = finetuned_from
    return summary


def calibration_source(data):
    if data.folder is not None:
        return f"training part of {data.folder.train.root}, seeded sample"
    return "MNIST training set, seeded sample"


def provenance_of(source, settings, data):
    """Where the model came from and what converted it, for every sidecar."""
    import keras
    import tensorflow as tf

    training, user_data = training_record(source.path)
    provenance = {
        "source_model": {"file": source.path.name, "sha256": source.sha256},
        "converter": {"tensorflow": tf.__version__, "keras": keras.__version__},
        "calibration": {"images": settings.representative_size, "source": calibration_source(data),
                        "seed": settings.seed},
        "training": training,
    }
    if user_data:
        provenance["user_data"] = user_data
    if source.softmax_added:
        provenance["softmax_added"] = "the model gave logits; a softmax layer was appended"
    return provenance


@contextlib.contextmanager
def staging_folder(out_dir):
    """A hidden folder inside `out_dir` for the new set; removed whatever happens. An OSError
    names the file in `out_dir` the user would have got, not its hidden staging copy."""
    stage = Path(tempfile.mkdtemp(prefix=".export-", suffix=".tmp", dir=out_dir))
    try:
        yield stage
    except OSError as error:
        if error.filename and Path(error.filename).parent == stage:
            raise OSError(error.errno, error.strerror, str(Path(out_dir) / Path(error.filename).name)) from error
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def install_set(stage, out_dir, paths):
    """Rename every staged model and sidecar into `out_dir`, models first, then make it durable."""
    for path in [*paths, *(sidecars.sidecar_path(path) for path in paths)]:
        os.replace(stage / path.name, Path(out_dir) / path.name)
    sync_path(out_dir)


def export_all(keras_path, out_dir, data, settings=ExportSettings(), log=print):
    """Export every requested variant as one set; return {variant: path}. `keras_path` is our
    own model.keras, or a SourceModel (export/own_model.py) for a model trained anywhere.

    Every variant is converted and verified in a staging folder first; only when all succeed
    are they renamed into `out_dir`, so a failure leaves the previous set as it was.
    """
    with locked_folder(out_dir):
        with staging_folder(out_dir) as stage:
            staged = export_into(keras_path, stage, data, settings, log, out_dir)
            install_set(stage, out_dir, list(staged.values()))
    log(f"installed {len(staged)} models and their sidecars in {out_dir}")
    return {variant: Path(out_dir) / path.name for variant, path in staged.items()}


def export_into(keras_path, stage, data, settings, log, out_dir):
    """Convert and verify each variant into `stage`; stop at the first failure."""
    source = as_source(keras_path)
    representative = source.scale(pick_images(data.x_train, settings.representative_size, settings.seed))
    check_images = pick_images(data.x_train, CHECK_IMAGES, settings.seed + 1)
    keras_predictions = source.probabilities(check_images).argmax(axis=1)
    provenance = provenance_of(source, settings, data)
    spec = input_spec(source.labels, source.pixel_scale)
    written = {}
    for variant in settings.variants:
        path, sidecar = export_variant(variant, source.model, stage, representative,
                                       (check_images, keras_predictions), provenance, spec)
        log(f"{variant:>13}: {Path(out_dir) / path.name} ({sidecar['bytes'] / 1024:.1f} KiB, "
            f"agrees with Keras on {sidecar['export_check']['agreement_with_keras']:.1%} of check images)")
        written[variant] = path
    return written
