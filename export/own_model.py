"""Any classifier of 28x28 grayscale images -> N classes, from a .keras file or a SavedModel.

`export --model` and `compare --model` take a model trained anywhere: its labels and the
input range it was trained on come from the command line, and everything downstream (the
four conversions, their checks, the sidecars, the report) works on the SourceModel here.
"""

import dataclasses
import hashlib
from pathlib import Path

import numpy as np

from edge_runtime.errors import UserInputError, first_line
from edge_runtime.sidecar import DEFAULT_LABELS, SAFE_LABEL

INPUT_SHAPES = ((28, 28, 1), (28, 28))
INPUT_SCALES = (1.0, 255.0)
PROBE_IMAGES = 16


@dataclasses.dataclass(frozen=True)
class SourceModel:
    """A Keras model taking (N, 28, 28, 1) floats of `input_scale` * pixel / 255 and giving
    probabilities over `labels`, with the file or folder it came from and that one's sha256."""

    path: Path
    model: object
    labels: tuple = DEFAULT_LABELS
    input_scale: float = 1.0
    sha256: str = ""
    softmax_added: bool = False

    @property
    def pixel_scale(self):
        """What the runtime multiplies a uint8 pixel by (the sidecar's input.pixel_scale)."""
        return self.input_scale / 255.0

    def scale(self, images):
        """uint8 (N, 28, 28) -> the model's float32 (N, 28, 28, 1) input; divided, as training
        divides, so our own models see bit for bit what they were trained on."""
        return (images.astype(np.float32) / np.float32(255.0 / self.input_scale))[..., np.newaxis]

    def probabilities(self, images, batch_size=500):
        return self.model.predict(self.scale(images), batch_size=batch_size, verbose=0)


def sha256_of_path(path):
    """sha256 of a file, or of a folder's files (relative names and bytes, in sorted order)."""
    path = Path(path)
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    digest = hashlib.sha256()
    for member in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(f"{member.relative_to(path).as_posix()}\0".encode())
        digest.update(hashlib.sha256(member.read_bytes()).digest())
    return digest.hexdigest()


def parse_labels(text):
    """--labels: comma-separated names, or a file with one name per line."""
    if text is None:
        return None
    path = Path(text)
    if path.is_file():
        try:
            names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, UnicodeDecodeError) as error:
            raise UserInputError(f"{path}: unreadable labels file ({first_line(error)})") from None
    else:
        names = [name.strip() for name in text.split(",")]
    if not names:
        raise UserInputError("--labels: no label names given")
    bad = next((name for name in names if not SAFE_LABEL.fullmatch(name)), None)
    if bad is not None:
        raise UserInputError(f"--labels: {bad[:40]!r} is not 1-32 letters, digits, '-' or '_'")
    if len(set(names)) != len(names):
        raise UserInputError(f"--labels: a name appears twice in {','.join(names)}")
    return tuple(names)


def load_keras_file(path):
    """A .keras file in safe mode (no code from the file runs)."""
    import keras

    try:
        return keras.models.load_model(path, safe_mode=True)
    except Exception as error:  # Keras raises many types for a damaged or foreign file
        raise UserInputError(f"{path}: not a loadable .keras model ({type(error).__name__}: "
                             f"{first_line(error)})") from None


def saved_model_endpoint(path):
    """(endpoint name, its input TensorSpec) of a SavedModel's serving signature."""
    import tensorflow as tf

    try:
        loaded = tf.saved_model.load(str(path))
    except Exception as error:  # TF raises many types for a damaged or foreign folder
        raise UserInputError(f"{path}: not a loadable SavedModel ({type(error).__name__}: "
                             f"{first_line(error)})") from None
    for name in ("serving_default", "serve"):
        if name in loaded.signatures:
            specs = tf.nest.flatten(loaded.signatures[name].structured_input_signature)
            if len(specs) != 1:
                raise UserInputError(f"{path}: signature {name} has {len(specs)} inputs, expected one 28x28 image")
            return name, specs[0]
    raise UserInputError(f"{path}: SavedModel has no serving_default or serve signature")


def load_saved_model(path):
    """A SavedModel folder wrapped as a Keras model taking (N, 28, 28, 1)."""
    import keras

    endpoint, spec = saved_model_endpoint(path)
    shape = tuple(spec.shape)[1:]
    if shape not in INPUT_SHAPES:
        raise UserInputError(f"{path}: model input shape {tuple(spec.shape)} is not a 28x28 grayscale image")
    layer = keras.layers.TFSMLayer(str(path), call_endpoint=endpoint)
    inputs = keras.Input((28, 28, 1), name="image")
    outputs = layer(keras.layers.Reshape(shape)(inputs))
    if isinstance(outputs, dict):
        if len(outputs) != 1:
            raise UserInputError(f"{path}: signature {endpoint} has {len(outputs)} outputs, expected one row of scores")
        outputs = next(iter(outputs.values()))
    return keras.Model(inputs, outputs)


def as_image_model(path, model):
    """The model taking (N, 28, 28, 1): one taking (N, 28, 28) gets a reshape in front."""
    import keras

    if len(model.inputs) != 1:
        raise UserInputError(f"{path}: model has {len(model.inputs)} inputs, expected one 28x28 grayscale image")
    shape = tuple(model.inputs[0].shape)[1:]
    if shape == (28, 28, 1):
        return model
    if shape != (28, 28):
        raise UserInputError(f"{path}: model input shape {tuple(model.inputs[0].shape)} is not a 28x28 "
                             "grayscale image")
    inputs = keras.Input((28, 28, 1), name="image")
    return keras.Model(inputs, model(keras.layers.Reshape((28, 28))(inputs)))


def class_count(path, model):
    """N of a model whose one output is (batch, N) scores, N >= 2."""
    shape = tuple(model.outputs[0].shape) if len(model.outputs) == 1 else None
    if shape is None or len(shape) != 2 or shape[1] is None or shape[1] < 2:
        found = f"{len(model.outputs)} outputs" if shape is None else f"output shape {shape}"
        raise UserInputError(f"{path}: model has {found}, expected one row of N >= 2 class scores")
    return int(shape[1])


def with_probabilities(model, input_scale):
    """(model, softmax added?): a model whose outputs on probe images are not probabilities
    (logits) gets a softmax layer, since the runtime requires probabilities."""
    import keras

    probe = np.random.default_rng(0).uniform(0, input_scale, (PROBE_IMAGES, 28, 28, 1)).astype(np.float32)
    scores = np.asarray(model.predict(probe, verbose=0))
    if np.all(np.isfinite(scores)) and scores.min() >= -1e-4 and np.allclose(scores.sum(axis=1), 1.0, atol=1e-3):
        return model, False
    return keras.Model(model.inputs, keras.layers.Softmax()(model.outputs[0])), True


def resolve_labels(path, labels, count):
    """--labels, or 0-9 for a model of 10 classes; UserInputError when the count differs."""
    if labels is None:
        if count != len(DEFAULT_LABELS):
            raise UserInputError(f"{path}: model has {count} outputs; pass --labels with {count} names")
        return DEFAULT_LABELS
    if len(labels) != count:
        raise UserInputError(f"{path}: model has {count} outputs but --labels names {len(labels)} "
                             f"({','.join(labels)})")
    return tuple(labels)


def load_source_model(path, labels=None, input_scale=1.0):
    """The SourceModel of a .keras file or a SavedModel folder, checked to be 28x28 grayscale -> N."""
    path = Path(path)
    if input_scale not in INPUT_SCALES:
        raise UserInputError(f"--input-scale must be 1 (model trained on [0, 1]) or 255 ([0, 255]), "
                             f"got {input_scale:g}")
    if path.is_dir():
        model = load_saved_model(path)
    elif path.is_file():
        model = load_keras_file(path)
    else:
        raise UserInputError(f"{path}: model not found (a .keras file or a SavedModel folder)")
    model = as_image_model(path, model)
    names = resolve_labels(path, labels, class_count(path, model))
    model, softmax_added = with_probabilities(model, input_scale)
    return SourceModel(path, model, names, float(input_scale), sha256_of_path(path), softmax_added)
