"""Bring your own model: `export --model` and `compare --model` on classifiers built here with
another architecture, input range and label set than ours, and the one-line errors."""

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from prerequisites import require_module

require_module("tensorflow")

from edge_runtime.model import DigitModel  # noqa: E402


def mnist_edge(*arguments):
    return subprocess.run([sys.executable, "-m", "edge_runtime", *map(str, arguments)], capture_output=True, text=True)


def one_error_line(result):
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("mnist-edge")]
    assert len(lines) == 1 and "error:" in lines[0], result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def mlp_model(mnist, tmp_path_factory):
    """A dense network (no convolutions) on raw [0, 255] pixels that ends in logits: nothing
    like our CNN. Trained for one epoch on 6,000 images (seconds)."""
    import keras

    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Rescaling(1 / 255.0), keras.layers.Flatten(),
                              keras.layers.Dense(48, activation="relu"), keras.layers.Dense(10)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(mnist.x_train[:6000].astype(np.float32), mnist.y_train[:6000], epochs=1, batch_size=64, verbose=0)
    path = tmp_path_factory.mktemp("own") / "mlp.keras"
    model.save(path)
    logits = model.predict(mnist.x_test.astype(np.float32), batch_size=1000, verbose=0)
    return path, float(np.mean(logits.argmax(axis=1) == mnist.y_test))


def test_export_and_compare_a_foreign_keras_model(mlp_model, mnist, mnist_npz_path, tmp_path):
    path, keras_accuracy = mlp_model
    assert keras_accuracy > 0.85
    exported = mnist_edge("export", "--model", path, "--input-scale", "255", "--data", mnist_npz_path,
                          "--out", tmp_path, "--representative-size", "200")
    assert exported.returncode == 0, exported.stderr[-2000:]
    for variant in ("float32", "float16", "dynamic_range", "int8"):
        sidecar = json.loads((tmp_path / f"model_{variant}.json").read_text())
        assert sidecar["input"]["pixel_scale"] == 1.0 and sidecar["labels"] == list("0123456789")
        assert sidecar["source_model"]["file"] == "mlp.keras" and "softmax_added" in sidecar
        assert sidecar["export_check"]["agreement_with_keras"] >= 0.97
    compared = mnist_edge("compare", "--model", path, "--input-scale", "255", "--data", mnist_npz_path,
                          "--out", tmp_path)
    assert compared.returncode == 0, compared.stderr[-2000:]
    report = json.loads((tmp_path / "report.json").read_text())
    models = report["models"]
    assert models["keras"]["accuracy"] == pytest.approx(keras_accuracy, abs=1e-4)
    assert models["float32"]["agreement_with_keras"] >= 0.9995
    assert abs(models["keras"]["accuracy"] - models["int8"]["accuracy"]) <= 0.01
    assert report["gate"]["passed"] is True
    # The runtime feeds the [0, 255] model from its sidecar: same readings as Keras.
    model = DigitModel(tmp_path / "model_int8.tflite", rejecter=None)
    predictions, _ = model.predict(mnist.x_test[:500])
    assert np.mean(predictions == mnist.y_test[:500]) >= keras_accuracy - 0.03


@pytest.fixture(scope="module")
def three_class_saved_model(mnist, tmp_path_factory):
    """A SavedModel (not a .keras file) of three classes named zero/one/two, on [0, 1] pixels
    of shape (28, 28, 1), with a convolution and global pooling: another architecture again."""
    import keras

    keras.utils.set_random_seed(2)
    chosen = mnist.y_train[:9000] < 3
    images, labels = mnist.x_train[:9000][chosen], mnist.y_train[:9000][chosen]
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 5, strides=2, activation="relu"),
                              keras.layers.Conv2D(16, 3, strides=2, activation="relu"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    model.fit(images[..., None] / 255.0, labels, epochs=3, batch_size=64, verbose=0)
    folder = tmp_path_factory.mktemp("saved") / "three"
    model.export(folder, verbose=False)
    pictures = tmp_path_factory.mktemp("pictures")
    for name, digit in (("zero", 0), ("one", 1), ("two", 2)):
        (pictures / name).mkdir()
        for index, image in enumerate(mnist.x_test[mnist.y_test == digit][:6]):
            # Test-set digits as a user's photos would be: dark ink on light paper, 56 pixels.
            cv2.imwrite(str(pictures / name / f"{index}.png"), cv2.resize(255 - image, (56, 56)))
    return folder, pictures


def test_a_saved_model_with_its_own_labels_exports_and_compares_on_a_folder(three_class_saved_model, tmp_path):
    folder, pictures = three_class_saved_model
    common = ["--model", folder, "--labels", "zero,one,two", "--data", pictures, "--holdout", "0.5", "--out", tmp_path]
    exported = mnist_edge("export", *common, "--variants", "float32", "int8")
    assert exported.returncode == 0, exported.stderr[-2000:]
    sidecar = json.loads((tmp_path / "model_int8.json").read_text())
    assert sidecar["labels"] == ["zero", "one", "two"] and sidecar["output"]["shape"] == [1, 3]
    assert sidecar["calibration"]["source"].startswith(f"training part of {pictures}")
    compared = mnist_edge("compare", *common, "--budget", "100")  # 9 pictures: one is 11 points
    assert compared.returncode == 0, compared.stderr[-2000:]
    report = json.loads((tmp_path / "report.json").read_text())
    print(compared.stdout)
    assert report["test_samples"] == 9 and report["labels"] == ["zero", "one", "two"]
    assert len(report["models"]["int8"]["confusion_matrix"]) == 3
    assert report["models"]["keras"]["accuracy"] == 1.0 and report["models"]["int8"]["accuracy"] == 1.0
    assert report["user_held_out"]["held_out_counts"] == {"zero": 3, "one": 3, "two": 3}
    classified = mnist_edge("classify", "--json", "--model", tmp_path / "model_int8.tflite",
                            pictures / "one" / report["user_held_out"]["held_out_files"][3].split("/")[1])
    assert classified.returncode == 0, classified.stderr
    digits = json.loads(classified.stdout.splitlines()[0])["digits"]
    assert [digit["label"] for digit in digits] == ["one"]


def test_a_model_that_is_not_28x28_grayscale_is_one_line(tmp_path, mnist_npz_path):
    import keras

    path = tmp_path / "colour.keras"
    keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(), keras.layers.Dense(10)]).save(path)
    line = one_error_line(mnist_edge("export", "--model", path, "--data", mnist_npz_path, "--out", tmp_path))
    assert f"{path}: model input shape (None, 32, 32, 3) is not a 28x28 grayscale image" in line


def test_a_label_count_that_does_not_match_is_one_line(mlp_model, mnist_npz_path, tmp_path):
    path, _ = mlp_model
    line = one_error_line(mnist_edge("compare", "--model", path, "--labels", "a,b,c", "--data", mnist_npz_path,
                                     "--out", tmp_path))
    assert f"{path}: model has 10 outputs but --labels names 3 (a,b,c)" in line


@pytest.mark.parametrize("layout, message", [
    ({}, "empty folder"),
    ({"zero/a.png": b"not a png at all"}, "zero/a.png"),
    ({"zero/readme.txt": b"no pictures"}, "no PNG or JPEG images in its label folders"),
])
def test_an_empty_or_unreadable_folder_is_one_line(three_class_saved_model, tmp_path, layout, message):
    folder, _ = three_class_saved_model
    data = tmp_path / "data"
    data.mkdir()
    for name, content in layout.items():
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).write_bytes(content)
    line = one_error_line(mnist_edge("export", "--model", folder, "--labels", "zero,one,two", "--data", data,
                                     "--out", tmp_path / "out"))
    assert message in line
