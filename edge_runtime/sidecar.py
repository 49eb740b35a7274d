"""Read the JSON sidecar that travels with each exported model."""

import json
from pathlib import Path

from edge_runtime.errors import ModelError

SIDECAR_FORMAT = "mnist-edge-sidecar/1"
DEFAULT_LABELS = tuple(str(digit) for digit in range(10))
# Training divides uint8 pixels by 255, so a model without a sidecar is assumed to expect that.
DEFAULT_PIXEL_SCALE = 1.0 / 255.0


def sidecar_path(model_path):
    """model_int8.tflite -> model_int8.json"""
    return Path(model_path).with_suffix(".json")


def read_sidecar(model_path):
    """Return the sidecar dict for a model, or {} when the model has none."""
    path = sidecar_path(model_path)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(f"{path}: unreadable model sidecar ({error})") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path}: model sidecar is not a JSON object")
    return data


def labels_from(sidecar):
    """The class labels, index-aligned with the model's outputs."""
    labels = sidecar.get("labels", DEFAULT_LABELS)
    return tuple(str(label) for label in labels)


def pixel_scale_from(sidecar):
    """The factor that maps a uint8 pixel to the model's float input."""
    return float(sidecar.get("input", {}).get("pixel_scale", DEFAULT_PIXEL_SCALE))
