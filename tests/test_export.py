"""Export: float32 matches Keras, int8 within budget, sidecars right, failures leave old files."""

import json

import numpy as np
import pytest

from prerequisites import require_module

require_module("tensorflow")

from edge_runtime.model import DigitModel  # noqa: E402
from export import exporter  # noqa: E402
from export.compare import run_keras  # noqa: E402
from export.convert import VARIANTS  # noqa: E402

# The small model (6,000 images, 3 epochs) is less sure of itself than the full one,
# so int8 gets a wider budget here than the 0.3 points the full-data test demands.
SMALL_MODEL_INT8_BUDGET_POINTS = 1.0


@pytest.fixture(scope="module")
def small_keras(small_run):
    return exporter.load_keras_model(small_run / "model.keras")


@pytest.fixture(scope="module")
def keras_test_predictions(small_keras, mnist):
    predictions, _ = run_keras(small_keras, mnist.x_test)
    return predictions


def tflite_predictions(path, images):
    predictions, _ = DigitModel(path).predict(images)
    return predictions


def test_float32_predicts_exactly_like_keras(small_run, mnist, keras_test_predictions):
    predictions = tflite_predictions(small_run / "model_float32.tflite", mnist.x_test)
    assert np.mean(predictions == keras_test_predictions) >= 0.9995


def test_int8_accuracy_within_budget(small_run, mnist, keras_test_predictions):
    predictions = tflite_predictions(small_run / "model_int8.tflite", mnist.x_test)
    keras_accuracy = np.mean(keras_test_predictions == mnist.y_test)
    int8_accuracy = np.mean(predictions == mnist.y_test)
    assert keras_accuracy > 0.95
    assert 100 * (keras_accuracy - int8_accuracy) <= SMALL_MODEL_INT8_BUDGET_POINTS


def test_sidecars_describe_the_model_files(small_run):
    for variant in VARIANTS:
        model_path = small_run / f"model_{variant}.tflite"
        sidecar = json.loads(model_path.with_suffix(".json").read_text())
        interpreter = DigitModel(model_path).interpreter
        detail = interpreter.get_input_details()[0]
        assert sidecar["variant"] == variant and sidecar["bytes"] == model_path.stat().st_size
        assert sidecar["input"]["shape"] == [1, 28, 28, 1] and sidecar["labels"] == list("0123456789")
        assert sidecar["input"]["pixel_scale"] == pytest.approx(1 / 255)
        assert sidecar["min_runtime_version"] and sidecar["converter"]["tensorflow"]
        assert sidecar["source_model"]["sha256"] and sidecar["training"]["train_subset"] == 6000
        if variant == "int8":
            assert sidecar["input"]["dtype"] == "int8"
            assert sidecar["input"]["quantization"] == pytest.approx(
                {"scale": detail["quantization"][0], "zero_point": detail["quantization"][1]})
        ops = {entry["op"]: entry["version"] for entry in sidecar["ops"]}
        assert set(ops) >= {"CONV_2D", "MAX_POOL_2D", "FULLY_CONNECTED", "SOFTMAX"}
        assert not any(name.startswith("CUSTOM") or name == "DELEGATE" for name in ops)
        assert ops["FULLY_CONNECTED"] < 12, "tflite-runtime 2.14 cannot load FULLY_CONNECTED v12"


def test_int8_model_is_integer_end_to_end(small_run):
    model = DigitModel(small_run / "model_int8.tflite")
    output = model.interpreter.get_output_details()[0]
    assert model.is_quantized and model.input_dtype == np.int8 and output["dtype"] == np.int8


def test_failed_conversion_is_reported_with_the_variant_and_touches_nothing(small_run, small_keras, mnist,
                                                                          tmp_path):
    previous = (small_run / "model_int8.tflite").read_bytes()
    target = tmp_path / "model_int8.tflite"
    target.write_bytes(previous)
    no_calibration_images = np.zeros((0, 28, 28, 1), np.float32)
    check = (mnist.x_train[:50], np.zeros(50, np.int64))
    with pytest.raises(exporter.ExportError, match=r"int8: conversion failed \(int8 calibration needs at least one"):
        exporter.export_variant("int8", small_keras, tmp_path, no_calibration_images, check, {})
    assert target.read_bytes() == previous
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model_int8.tflite"]


def test_a_failure_while_installing_leaves_the_previous_model_and_sidecar(small_run, small_keras, mnist, tmp_path,
                                                                          monkeypatch):
    """The new model is converted, written and verified, then the install fails (as a full disk would while
    the sidecar is built): the previous model and sidecar must be untouched and no temporary left."""
    old_model, old_sidecar = b"the previous model", '{"variant": "float32", "previous": true}'
    target = tmp_path / "model_float32.tflite"
    target.write_bytes(old_model)
    target.with_suffix(".json").write_text(old_sidecar)
    images = mnist.x_train[:50]
    seen_at_failure = {}

    def fail_mid_install(variant, model_bytes, *args, **kwargs):
        seen_at_failure["files"] = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
        seen_at_failure["new_model"] = model_bytes
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exporter.sidecars, "build_sidecar", fail_mid_install)
    with pytest.raises(OSError, match="No space left on device"):
        exporter.export_variant("float32", small_keras, tmp_path, None, (images, run_keras(small_keras, images)[0]), {})
    # The failure really came during the install: the verified new model sat in a temporary beside the old one.
    temporaries = [name for name in seen_at_failure["files"] if name not in ("model_float32.tflite",
                                                                             "model_float32.json")]
    assert len(temporaries) == 1 and seen_at_failure["files"][temporaries[0]] == seen_at_failure["new_model"]
    assert target.read_bytes() == old_model and target.with_suffix(".json").read_text() == old_sidecar
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model_float32.json", "model_float32.tflite"]


def test_failed_verification_leaves_the_previous_model(small_keras, mnist, tmp_path):
    previous = b"the previous model"  # not small_run's file: the new conversion would give the same bytes
    target = tmp_path / "model_float32.tflite"
    target.write_bytes(previous)
    images = mnist.x_train[:50]
    wrong_reference = (run_keras(small_keras, images)[0] + 1) % 10
    with pytest.raises(exporter.ExportError, match=r"float32: agrees with Keras on only 0.0% of 50"):
        exporter.export_variant("float32", small_keras, tmp_path, None, (images, wrong_reference), {})
    assert target.read_bytes() == previous
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model_float32.tflite"]


def test_flex_ops_fail_the_export(tmp_path):
    """An op outside TFLite's builtins must stop the export instead of shipping a Flex model."""
    import keras
    import tensorflow as tf

    class MatrixInverse(keras.layers.Layer):
        def call(self, inputs):
            square = tf.reshape(inputs[:, :4, :4, 0], (-1, 4, 4)) + tf.eye(4)
            return tf.reshape(tf.linalg.inv(square), (-1, 16))

    inputs = keras.Input((28, 28, 1))
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(MatrixInverse()(inputs)))
    with pytest.raises(exporter.ExportError, match="float32: conversion failed"):
        exporter.convert_variant("float32", model, None)


def test_missing_keras_model_is_a_clear_error(tmp_path):
    with pytest.raises(exporter.UserInputError, match="model.keras: Keras model not found"):
        exporter.load_keras_model(tmp_path / "model.keras")


def test_text_file_named_keras_is_refused(tmp_path):
    path = tmp_path / "model.keras"
    path.write_text("hello")
    with pytest.raises(exporter.UserInputError, match="model.keras: not a loadable .keras model"):
        exporter.load_keras_model(path)
