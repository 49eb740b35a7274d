"""Make a TFLite interpreter from whichever runtime package is installed."""

import importlib
from pathlib import Path

from edge_runtime.errors import ModelError, first_line

# Preference order: LiteRT is the maintained runtime, tflite-runtime is what older Pi
# setups have, and TensorFlow's own interpreter is deprecated and heavy (last resort).
# Each backend is (module to import, attribute path to the Interpreter class): TensorFlow
# exposes it only as tf.lite.Interpreter, not as a `tensorflow.lite` module attribute.
BACKENDS = {
    "litert": ("ai_edge_litert.interpreter", "Interpreter"),
    "tflite-runtime": ("tflite_runtime.interpreter", "Interpreter"),
    "tensorflow": ("tensorflow", "lite.Interpreter"),
}


def interpreter_class_from(module, attribute_path, backend):
    """module.lite.Interpreter and the like; ModelError when the package lacks it."""
    found = module
    for name in attribute_path.split("."):
        found = getattr(found, name, None)
        if found is None:
            raise ModelError(f"the {backend} package has no {module.__name__}.{attribute_path}; "
                             "choose another --backend")
    return found


def load_interpreter_class(backend="auto"):
    """Return (backend_name, Interpreter class) for `backend`, or the first available."""
    if backend != "auto" and backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    for name in list(BACKENDS) if backend == "auto" else [backend]:
        module_name, attribute_path = BACKENDS[name]
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        return name, interpreter_class_from(module, attribute_path, name)
    wanted = "any of " + ", ".join(BACKENDS) if backend == "auto" else backend
    raise ModelError(f"no TFLite interpreter installed ({wanted}); "
                     "install one with: pip install 'mnist-edge[edge]' (or ai-edge-litert)")


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
        raise ModelError(f"{path}: not a loadable TFLite model ({first_line(error)})") from None
    return backend_name, interpreter
