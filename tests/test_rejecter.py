"""train.rejecter and train.negatives: the "one digit or not" model, trained small and for real."""

import numpy as np

from conftest_edge import mnist_test_arrays
from prerequisites import require_module
from mnist_edge.train import negatives


def test_generated_crops_are_balanced_runtime_style_28x28_pictures():
    images, labels = mnist_test_arrays()
    x, y = negatives.digit_and_negative_crops(images[:500], labels[:500], 400, seed=1)
    assert x.shape == (400, 28, 28) and x.dtype == np.uint8
    assert y.sum() == 200
    lit = (x > 0).reshape(len(x), -1).mean(axis=1)
    assert (lit[y == 1] > 0.05).all()  # every digit crop holds ink


def test_crops_cut_from_generated_photos_are_labelled_by_their_overlap_with_true_digits():
    images, labels = mnist_test_arrays()
    x, y = negatives.page_crops(images, labels, pages=12, seed=5)
    assert len(x) == len(y) >= 50
    assert 0.2 <= y.mean() <= 0.95


def test_a_small_rejecter_trained_and_exported_tells_digits_from_junk(mnist, tmp_path):
    """A few thousand crops and two epochs already separate digits from junk far above chance
    (half and half), through the real int8 TFLite export and interpreter: measured 0.83."""
    require_module("tensorflow")
    from mnist_edge.train import rejecter

    config = rejecter.RejecterConfig(crops=4000, pages=30, validation_crops=600, validation_pages=10, epochs=2)
    model, keras_accuracy, held = rejecter.train_rejecter(mnist, config, log=lambda message: None)
    path = rejecter.export_rejecter(model, mnist, tmp_path, {"training": "test"})
    assert rejecter.measure(path, held) >= 0.75 and keras_accuracy >= 0.75
    from edge_runtime.model import DigitModel
    loaded = DigitModel(path, rejecter=None)
    assert loaded.labels == rejecter.LABELS
    assert (tmp_path / "rejecter_int8.json").is_file()
