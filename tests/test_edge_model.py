"""edge_runtime.model: the fast input/output paths give exactly what the general ones give."""

import numpy as np
import pytest

from conftest_edge import FLOAT_MODEL, INT8_MODEL, load_model, mnist_test_arrays
from edge_runtime import model as model_module


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
    recorded = model.sidecar.get("test_accuracy", {}).get("accuracy")
    if recorded is not None:
        assert accuracy == pytest.approx(recorded, abs=0.002)


def test_rejects_non_uint8_or_wrongly_shaped_images():
    model = load_model(INT8_MODEL)
    with pytest.raises(ValueError, match="float64"):
        model.scores(np.zeros((28, 28)))
    with pytest.raises(ValueError, match=r"\(32, 32\)"):
        model.scores(np.zeros((32, 32), np.uint8))
