"""edge_runtime.interpreter: backend choice, including TensorFlow's own interpreter."""

import json
import os
import subprocess
import sys
import types

import pytest

from conftest_edge import EXAMPLES_DIR, INT8_MODEL, REPO, example_number
from edge_runtime import interpreter
from edge_runtime.errors import ModelError
from prerequisites import require_module


def test_a_package_without_the_interpreter_class_is_a_model_error():
    """What TF 2.21 looks like to the old lookup: a `tensorflow` with no lite.Interpreter."""
    empty = types.ModuleType("tensorflow")
    with pytest.raises(ModelError, match=r"the tensorflow package has no tensorflow\.lite\.Interpreter"):
        interpreter.interpreter_class_from(empty, "lite.Interpreter", "tensorflow")


def test_attribute_paths_are_followed_through_submodules():
    outer = types.ModuleType("outer")
    outer.lite = types.SimpleNamespace(Interpreter=int)
    assert interpreter.interpreter_class_from(outer, "lite.Interpreter", "outer") is int


def test_the_tensorflow_backend_classifies_like_the_default_one():
    """In a child process: importing TensorFlow here would cost the whole test session 500 MB."""
    require_module("tensorflow")
    example = str(sorted(EXAMPLES_DIR.glob("photo_*"))[0])
    command = [sys.executable, "-m", "edge_runtime", "classify", "--json", "--backend", "tensorflow",
               "--model", str(INT8_MODEL), example]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO,
                            env=dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="2"))
    assert result.returncode == 0, result.stderr[-2000:]
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["number"] == example_number(example)
