"""edge_runtime.model: the fast input/output paths give exactly what the general ones give."""

import json
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest_edge import FLOAT_MODEL, INT8_MODEL, load_model, mnist_test_arrays
from edge_runtime import model as model_module
from edge_runtime.errors import ModelError


def reference_scores(model, image):
    """The slow, obvious way: table lookup, set_tensor, invoke, widen and dequantize."""
    interpreter = model.interpreter
    detail_in, detail_out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.set_tensor(detail_in["index"], np.take(model._lookup, image.reshape(detail_in["shape"])))
    interpreter.invoke()
    raw = interpreter.get_tensor(detail_out["index"])[0]
    return model_module.dequantize(raw, np.dtype(detail_out["dtype"]), detail_out["quantization"])


@pytest.mark.parametrize("path", [INT8_MODEL, FLOAT_MODEL], ids=["int8", "float32"])
def test_fast_scores_equal_the_reference_path(path):
    model = load_model(path)
    images, _ = mnist_test_arrays()
    for image in images[:200]:
        np.testing.assert_array_equal(model.scores(image), reference_scores(model, image))


def test_int8_input_fast_path_matches_the_lookup_table_for_every_pixel_value():
    model = load_model(INT8_MODEL)
    pixels = np.arange(784, dtype=np.int64).reshape(28, 28).astype(np.uint8)  # every value 0..255
    buffer = np.empty_like(model._input_buffer)
    model_module.input_writer(model._lookup, buffer)(pixels)
    np.testing.assert_array_equal(buffer, np.take(model._lookup, pixels.reshape(buffer.shape)))


def test_output_table_equals_widened_dequantization():
    for dtype, quantization in ((np.int8, (0.00390625, -128)), (np.uint8, (0.1, 3))):
        raw = np.arange(256, dtype=np.uint8).view(dtype)
        table = model_module.output_table(np.dtype(dtype), quantization)
        expected = (quantization[0] * (raw.astype(np.int64) - quantization[1])).astype(np.float32)
        np.testing.assert_array_equal(table, expected)
    assert model_module.output_table(np.dtype(np.float32), (0.0, 0)) is None


def test_scores_are_a_copy_not_a_view_into_the_interpreter():
    model = load_model(INT8_MODEL)
    images, _ = mnist_test_arrays()
    first = model.scores(images[0])
    kept = first.copy()
    model.scores(images[1])
    np.testing.assert_array_equal(first, kept)


@pytest.mark.parametrize("path", [INT8_MODEL, FLOAT_MODEL], ids=["int8", "float32"])
def test_shipped_models_match_their_sidecar_accuracy_on_mnist_test(path):
    model = load_model(path)
    images, labels = mnist_test_arrays()
    predicted, scores = model.predict(images)
    accuracy = float(np.mean(predicted == labels))
    assert scores.shape == (10000, 10) and np.allclose(scores.sum(axis=1), 1.0, atol=0.02)
    assert accuracy >= 0.98
    # `mnist-edge compare` records the test accuracy in the sidecar; a model without it was never compared.
    assert "test_accuracy" in model.sidecar, f"{path.with_suffix('.json')}: no test_accuracy (run mnist-edge compare)"
    recorded = model.sidecar["test_accuracy"]
    assert recorded["test_samples"] == len(labels) == 10000
    assert accuracy == recorded["accuracy"]  # the same model, images and interpreter: the same predictions


def test_rejects_non_uint8_or_wrongly_shaped_images():
    model = load_model(INT8_MODEL)
    with pytest.raises(ValueError, match="float64"):
        model.scores(np.zeros((28, 28)))
    with pytest.raises(ValueError, match=r"\(32, 32\)"):
        model.scores(np.zeros((32, 32), np.uint8))


# quantize_lookup_table against formulas written out by hand (independent of the implementation).

def test_int8_lookup_for_pixels_over_255_is_pixel_minus_128():
    for scale in (1 / 255, float(np.float32(1 / 255))):  # exact, and as a .tflite stores it
        table = model_module.quantize_lookup_table(1 / 255, 0.0, np.dtype(np.int8), (scale, -128))
        np.testing.assert_array_equal(table, np.arange(256) - 128)
        assert table.dtype == np.int8


def test_int8_lookup_clips_at_the_dtype_range():
    """Scale 1/510: pixel p -> 2p - 128, which passes 127 from p = 128 on."""
    table = model_module.quantize_lookup_table(1 / 255, 0.0, np.dtype(np.int8), (1 / 510, -128))
    expected = np.minimum(2 * np.arange(256) - 128, 127)
    np.testing.assert_array_equal(table, expected)


def test_uint8_lookup_adds_a_nonzero_zero_point_and_clips_at_255():
    table = model_module.quantize_lookup_table(1 / 255, 0.0, np.dtype(np.uint8), (1 / 255, 3))
    np.testing.assert_array_equal(table, np.minimum(np.arange(256) + 3, 255))
    assert table.dtype == np.uint8


def test_pixel_offset_is_added_after_scaling():
    table = model_module.quantize_lookup_table(1.0, -128.0, np.dtype(np.int8), (1.0, 0))
    np.testing.assert_array_equal(table, np.arange(256) - 128)
    floats = model_module.quantize_lookup_table(2 / 255, -1.0, np.dtype(np.float32), (0.0, 0))
    np.testing.assert_array_equal(floats, (np.arange(256) * (2 / 255) - 1.0).astype(np.float32))


def test_a_sidecar_pixel_offset_reaches_the_models_input_table(tmp_path):
    path = tmp_path / "model.tflite"
    shutil.copyfile(FLOAT_MODEL, path)
    path.with_suffix(".json").write_text(json.dumps({"input": {"pixel_scale": 2 / 255, "pixel_offset": -1.0}}))
    model = model_module.DigitModel(path)
    np.testing.assert_array_equal(model._lookup, (np.arange(256) * (2 / 255) - 1.0).astype(np.float32))


def details_of(path):
    model = load_model(path)
    return model.interpreter.get_input_details()[0], model.interpreter.get_output_details()[0]


def test_an_integer_input_without_a_quantization_scale_is_a_model_error():
    input_detail, output_detail = details_of(INT8_MODEL)
    unscaled = dict(input_detail, quantization=(0.0, 0))
    with pytest.raises(ModelError, match=r"m\.tflite: integer input tensor has no quantization scale \(0\.0, 0\)"):
        model_module.check_digit_model("m.tflite", tuple("0123456789"), unscaled, output_detail)


def test_labels_that_do_not_match_the_outputs_are_a_model_error():
    input_detail, output_detail = details_of(INT8_MODEL)
    with pytest.raises(ModelError, match=r"m\.tflite: model has 10 outputs but 2 labels \(from m\.json"):
        model_module.check_digit_model("m.tflite", ("0", "1"), input_detail, output_detail)


@pytest.mark.parametrize("sidecar, message", [
    ({"labels": ["0", "1", "2"]}, "model has 10 outputs but 3 labels"),
    ({"input": None}, "invalid model sidecar: 'input' must be an object, got None"),
    ({"labels": []}, "invalid model sidecar: 'labels' must be a non-empty list"),
    ({"input": {"pixel_scale": "1/255"}}, "'input.pixel_scale' must be a positive number, got '1/255'"),
    ({"input": {"pixel_offset": None}}, "'input.pixel_offset' must be a number, got None"),
    ({"labels": ["../../../x", *"123456789"]}, "invalid model sidecar: label '../../../x' is not"),
    ({"labels": ["0", "1", "2", "3", "4", "5", "6", "7", "8", "x" * 33]}, "invalid model sidecar: label 'xxx"),
    ({"labels": [*"012345678", "a/b"]}, "invalid model sidecar: label 'a/b' is not"),
    ({"sha256": "0" * 64}, "model file does not match its sidecar (sha256 0cebe006"),
])
def test_bad_sidecars_are_one_line_model_errors_naming_the_file(tmp_path, sidecar, message):
    path = tmp_path / "model_int8.tflite"
    shutil.copyfile(INT8_MODEL, path)
    path.with_suffix(".json").write_text(json.dumps(sidecar))
    with pytest.raises(ModelError) as error:
        model_module.DigitModel(path)
    assert str(error.value).startswith(str(tmp_path / "model_int8.")) and message in str(error.value)
    assert "\n" not in str(error.value)


def test_a_deeply_nested_sidecar_is_a_one_line_model_error(tmp_path):
    path = tmp_path / "model_int8.tflite"
    shutil.copyfile(INT8_MODEL, path)
    path.with_suffix(".json").write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(ModelError) as error:
        model_module.DigitModel(path)
    assert str(error.value) == f"{path.with_suffix('.json')}: unreadable model sidecar (nested too deeply)"


def test_the_shipped_sidecars_match_their_models():
    for path in (INT8_MODEL, FLOAT_MODEL):
        assert model_module.DigitModel(path).sidecar["sha256"]


MAKE_BAD_MODELS = textwrap.dedent("""
    import sys
    import numpy as np
    import tensorflow as tf

    weights = tf.constant(np.random.default_rng(0).normal(0, 0.05, (784, 20)).astype(np.float32))
    image = tf.TensorSpec([1, 28, 28, 1], tf.float32)

    def dense(x, width=10):
        return tf.matmul(tf.reshape(x, [1, 784]), weights[:, :width])

    MODELS = {
        "two_inputs": (lambda x, extra: tf.nn.softmax(dense(x) + extra), [image, tf.TensorSpec([1, 10], tf.float32)]),
        "two_rows": (lambda x: tf.nn.softmax(tf.reshape(dense(x, 20), [2, 10])), [image]),
        "logits": (lambda x: 1000.0 * dense(x) + 1.0, [image]),
        "nan": (lambda x: tf.nn.softmax(dense(x)) * tf.constant(float("nan")), [image]),
    }
    for name, (function, signature) in MODELS.items():
        concrete = tf.function(function, input_signature=signature).get_concrete_function()
        converted = tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert()
        open(f"{sys.argv[1]}/{name}.tflite", "wb").write(converted)
""")


@pytest.fixture(scope="module")
def bad_models(tmp_path_factory):
    """Real TFLite models that are not digit classifiers, made by TensorFlow in a child process."""
    pytest.importorskip("tensorflow", reason="needs TensorFlow to make the models")
    folder = tmp_path_factory.mktemp("bad_models")
    subprocess.run([sys.executable, "-c", MAKE_BAD_MODELS, str(folder)], check=True, capture_output=True)
    return folder


@pytest.mark.parametrize("name, problem", [
    ("two_inputs", "model has 2 inputs, expected one 28x28 image"),
    ("two_rows", "model output shape [2, 10] is not one row of class scores"),
    ("logits", "model outputs are not probabilities"),
    ("nan", "model outputs NaN or infinite scores"),
])
def test_models_that_are_not_digit_classifiers_are_refused_at_load(bad_models, name, problem):
    path = bad_models / f"{name}.tflite"
    with pytest.raises(ModelError) as error:
        model_module.DigitModel(path)
    assert str(error.value).startswith(f"{path}: {problem}") and "\n" not in str(error.value)


def test_a_rejecter_without_a_digit_label_is_refused():
    from edge_runtime.errors import ModelError
    from edge_runtime.model import DigitModel

    with pytest.raises(ModelError, match="not a rejecter"):
        DigitModel(INT8_MODEL, rejecter=INT8_MODEL)
