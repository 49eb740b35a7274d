"""Read and check the JSON sidecar that travels with each exported model."""

import hashlib
import json
import math
import re
from pathlib import Path

from edge_runtime.errors import ModelError

SIDECAR_FORMAT = "mnist-edge-sidecar/1"
DEFAULT_LABELS = tuple(str(digit) for digit in range(10))
# Training divides uint8 pixels by 255, so a model without a sidecar is assumed to expect that.
DEFAULT_PIXEL_SCALE = 1.0 / 255.0
DEFAULT_PIXEL_OFFSET = 0.0
# Labels name snapshot files (camera --save-dir), so they must be plain names, never paths.
SAFE_LABEL = re.compile(r"[A-Za-z0-9_-]{1,32}")
SHA256 = re.compile(r"[0-9a-f]{64}")


def sidecar_path(model_path):
    """model_int8.tflite -> model_int8.json"""
    return Path(model_path).with_suffix(".json")


def read_sidecar(model_path):
    """Return the checked sidecar dict for a model, or {} when the model has none."""
    path = sidecar_path(model_path)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ModelError(f"{path}: unreadable model sidecar (nested too deeply)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(f"{path}: unreadable model sidecar ({error})") from None
    problem = sidecar_problem(data)
    if problem:
        raise ModelError(f"{path}: invalid model sidecar: {problem}")
    check_model_hash(model_path, data)
    return data


def check_model_hash(model_path, sidecar):
    """A sidecar describes one exact model file: refuse a model it was not written for."""
    if "sha256" not in sidecar:
        return
    try:
        actual = hashlib.sha256(Path(model_path).read_bytes()).hexdigest()
    except OSError as error:
        raise ModelError(f"{model_path}: cannot read model ({error.strerror or error})") from None
    if actual != sidecar["sha256"]:
        raise ModelError(f"{model_path}: model file does not match its sidecar (sha256 {actual[:8]}..., "
                         f"{sidecar_path(model_path).name} records {sidecar['sha256'][:8]}...); "
                         "copy or export the model and its .json together")


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def sidecar_problem(data):
    """What is wrong with the fields the runtime uses, or None; pure, so tested without files."""
    if not isinstance(data, dict):
        return "not a JSON object"
    labels = data.get("labels", DEFAULT_LABELS)
    if not isinstance(labels, (list, tuple)) or not labels or not all(isinstance(x, (str, int)) for x in labels):
        return f"'labels' must be a non-empty list of strings, got {labels!r}"
    unsafe = next((label for label in labels if not SAFE_LABEL.fullmatch(str(label))), None)
    if unsafe is not None:
        return f"label {str(unsafe)[:40]!r} is not 1-32 letters, digits, '-' or '_'"
    if "sha256" in data and not (isinstance(data["sha256"], str) and SHA256.fullmatch(data["sha256"])):
        return f"'sha256' must be 64 lowercase hex digits, got {str(data['sha256'])[:70]!r}"
    spec = data.get("input", {})
    if not isinstance(spec, dict):
        return f"'input' must be an object, got {spec!r}"
    scale = spec.get("pixel_scale", DEFAULT_PIXEL_SCALE)
    if not is_number(scale) or scale <= 0:
        return f"'input.pixel_scale' must be a positive number, got {scale!r}"
    offset = spec.get("pixel_offset", DEFAULT_PIXEL_OFFSET)
    if not is_number(offset):
        return f"'input.pixel_offset' must be a number, got {offset!r}"
    return None


def labels_from(sidecar):
    """The class labels, index-aligned with the model's outputs."""
    return tuple(str(label) for label in sidecar.get("labels", DEFAULT_LABELS))


def pixel_scale_from(sidecar):
    """The factor that maps a uint8 pixel to the model's float input."""
    return float(sidecar.get("input", {}).get("pixel_scale", DEFAULT_PIXEL_SCALE))


def pixel_offset_from(sidecar):
    """What is added after scaling (e.g. -1 for models trained on [-1, 1] inputs)."""
    return float(sidecar.get("input", {}).get("pixel_offset", DEFAULT_PIXEL_OFFSET))
