"""Make a TFLite interpreter from whichever runtime package is installed."""

import importlib
from pathlib import Path

from edge_runtime.errors import ModelError

# Preference order: LiteRT is the maintained runtime, tflite-runtime is what older Pi
# setups have, and TensorFlow's own interpreter is deprecated and heavy (last resort).
BACKENDS = {
    "litert": "ai_edge_litert.interpreter",
    "tflite-runtime": "tflite_runtime.interpreter",
    "tensorflow": "tensorflow.lite",
}


def load_interpreter_class(backend="auto"):
    """Return (backend_name, Interpreter class) for `backend`, or the first available."""
    names = list(BACKENDS) if backend == "auto" else [backend]
    if backend != "auto" and backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    for name in names:
        try:
            module = importlib.import_module(BACKENDS[name])
        except ImportError:
            continue
        return name, module.Interpreter
    wanted = "any of " + ", ".join(BACKENDS) if backend == "auto" else backend
    raise ModelError(f"no TFLite interpreter installed ({wanted}); "
                     "install one with: pip install ai-edge-litert")


def make_interpreter(model_path, backend="auto", num_threads=1):
    """Return (backend_name, allocated interpreter); ModelError names the file on failure."""
    path = Path(model_path)
    if not path.is_file():
        raise ModelError(f"{path}: model file not found")
    backend_name, interpreter_class = load_interpreter_class(backend)
    try:
        interpreter = interpreter_class(model_path=str(path), num_threads=num_threads)
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelError(f"{path}: not a loadable TFLite model ({first_line})") from None
    return backend_name, interpreter
