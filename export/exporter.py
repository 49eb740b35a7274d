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
from export import convert, inspect_tflite, sidecars
from train.training import scale_images

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


def pick_images(images, count, seed):
    """A seeded sample of uint8 training images: calibration and checks use training data only."""
    order = np.random.default_rng(seed).permutation(len(images))[:count]
    return images[order]


def verify(variant, candidate_path, check_images, keras_predictions):
    """Load the new file in a real interpreter and require agreement with Keras."""
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


def export_variant(variant, model, out_dir, representative, check, provenance):
    """Convert and verify in a temporary file, then rename it over the old model."""
    model_bytes = convert_variant(variant, model, representative)
    check_images, keras_predictions = check
    destination = Path(out_dir) / model_filename(variant)
    with atomic_path(destination) as temporary:
        temporary.write_bytes(model_bytes)
        digit_model, agreement = verify(variant, temporary, check_images, keras_predictions)
        inspection = {"ops": inspect_tflite.operator_versions(model_bytes),
                      "min_runtime_version": inspect_tflite.min_runtime_version(model_bytes)}
        checks = {"export_check": {"backend": digit_model.backend, "images": len(check_images),
                                   "agreement_with_keras": agreement}}
        sidecar = sidecars.build_sidecar(variant, model_bytes, digit_model.interpreter,
                                         inspection, {**provenance, **checks})
    sidecars.write_sidecar(destination, sidecar)
    return destination, sidecar


def provenance_of(keras_path, settings):
    """Where the model came from and what converted it, for every sidecar."""
    import keras
    import tensorflow as tf

    keras_path = Path(keras_path)
    history_path = keras_path.with_name("history.json")
    training = json.loads(history_path.read_text())["config"] if history_path.is_file() else None
    return {
        "source_model": {"file": keras_path.name, "sha256": sidecars.sha256_of(keras_path.read_bytes())},
        "converter": {"tensorflow": tf.__version__, "keras": keras.__version__},
        "calibration": {"images": settings.representative_size, "source": "MNIST training set, seeded sample",
                        "seed": settings.seed},
        "training": training,
    }


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
    """Export every requested variant as one set; return {variant: path}.

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
    model = load_keras_model(keras_path)
    check_keras_model(keras_path, model)
    representative = scale_images(pick_images(data.x_train, settings.representative_size, settings.seed))
    check_images = pick_images(data.x_train, CHECK_IMAGES, settings.seed + 1)
    keras_predictions = model.predict(scale_images(check_images), verbose=0).argmax(axis=1)
    provenance = provenance_of(keras_path, settings)
    written = {}
    for variant in settings.variants:
        path, sidecar = export_variant(variant, model, stage, representative,
                                       (check_images, keras_predictions), provenance)
        log(f"{variant:>13}: {Path(out_dir) / path.name} ({sidecar['bytes'] / 1024:.1f} KiB, "
            f"agrees with Keras on {sidecar['export_check']['agreement_with_keras']:.1%} of check images)")
        written[variant] = path
    return written
