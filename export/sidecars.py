"""Build the JSON sidecar that travels with each .tflite: what a runtime needs to use it right."""

import hashlib
import json
from pathlib import Path

from edge_runtime.files import write_text_atomic
from edge_runtime.sidecar import DEFAULT_LABELS, DEFAULT_PIXEL_SCALE, SIDECAR_FORMAT, sidecar_path

QUANTIZATION_MODES = {
    "float32": "none",
    "float16": "float16 weights",
    "dynamic_range": "int8 weights (per-tensor dense), float activations",
    "int8": "full integer: int8 weights, activations, input and output",
}


def sha256_of(data):
    return hashlib.sha256(data).hexdigest()


def tensor_spec(detail):
    """Shape, dtype and quantization of one interpreter tensor, as plain JSON."""
    scale, zero_point = detail["quantization"]
    return {
        "name": detail["name"],
        "shape": [int(n) for n in detail["shape"]],
        "dtype": detail["dtype"].__name__,
        "quantization": {"scale": float(scale), "zero_point": int(zero_point)} if scale else None,
    }


def build_sidecar(variant, model_bytes, interpreter, inspection, provenance, spec=None):
    """The sidecar dict for one exported variant; `provenance` holds source, converter and checks,
    `spec` the labels and input scaling (default: digits 0-9, pixels / 255)."""
    spec = spec or {}
    input_spec = tensor_spec(interpreter.get_input_details()[0])
    input_spec.update(pixel_scale=spec.get("input", {}).get("pixel_scale", DEFAULT_PIXEL_SCALE), pixel_offset=0.0,
                      polarity="white digit on black background, centred by mass like MNIST")
    output_spec = tensor_spec(interpreter.get_output_details()[0])
    output_spec["meaning"] = "softmax probabilities over labels"
    return {
        "format": SIDECAR_FORMAT,
        "variant": variant,
        "bytes": len(model_bytes),
        "sha256": sha256_of(model_bytes),
        "labels": list(spec.get("labels", DEFAULT_LABELS)),
        "input": input_spec,
        "output": output_spec,
        "quantization": QUANTIZATION_MODES[variant],
        **inspection,
        **provenance,
    }


def write_sidecar(model_path, sidecar):
    write_text_atomic(sidecar_path(model_path), json.dumps(sidecar, indent=2) + "\n")


def update_sidecar(model_path, **fields):
    """Merge fields (e.g. measured accuracy) into an existing sidecar, atomically."""
    path = sidecar_path(model_path)
    sidecar = json.loads(Path(path).read_text(encoding="utf-8")) if Path(path).is_file() else {}
    sidecar.update(fields)
    write_sidecar(model_path, sidecar)
