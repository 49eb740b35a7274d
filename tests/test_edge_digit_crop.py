"""edge_runtime.digit_crop: a region's ink -> the 28x28 MNIST-style image, checked without a model."""

import cv2
import numpy as np
import pytest

from edge_runtime import digit_crop


def test_fit_to_mnist_fits_20x20_and_centres_by_mass():
    crop = np.zeros((90, 30), np.uint8)
    cv2.line(crop, (5, 5), (25, 85), 255, 6)
    fitted = digit_crop.fit_to_mnist(crop)
    rows, cols = np.nonzero(fitted)
    assert fitted.shape == (28, 28) and fitted.dtype == np.uint8
    assert rows.max() - rows.min() + 1 == 20 and cols.max() - cols.min() + 1 <= 8
    moments = cv2.moments(fitted)
    assert abs(moments["m10"] / moments["m00"] - 14) <= 1.0
    assert abs(moments["m01"] / moments["m00"] - 14) <= 1.0


def test_ink_bounds_are_the_box_of_the_nonzero_pixels_or_none():
    own = np.zeros((30, 20), np.uint8)
    assert digit_crop.ink_bounds(own) is None
    own[5:9, 3] = 1
    own[12, 7:11] = 1
    assert digit_crop.ink_bounds(own) == (3, 5, 8, 8)


def test_thickening_a_thin_tall_9_keeps_its_small_loop_open():
    """hypjudy_05's 9: 88 px tall, 25 wide, a ballpoint stroke of 3 px. Widened to a tenth of
    its height (7 px more), its loop closed and the 9 read as a 1 (0.70); kept open, 9 (0.91)."""
    own = np.zeros((88, 25), np.uint8)
    cv2.circle(own, (12, 10), 8, 1, 3)
    cv2.line(own, (19, 14), (7, 86), 1, 3)
    stroke = digit_crop.stroke_width(own)
    before = digit_crop.loop_area(own, stroke)
    thick = digit_crop.thicken(own * 255, own)
    assert digit_crop.stroke_width((thick > 0).astype(np.uint8)) > stroke + 1  # thickened...
    assert digit_crop.loop_area((thick > 0).astype(np.uint8), stroke) >= 0.5 * before > 0  # ...loop open


def test_the_90th_percentile_by_partial_sort_is_numpys():
    """percentile_90 stands in for np.percentile(values, 90) (linear interpolation) without
    importing numpy.ma: the same value for one, two and many values."""
    rng = np.random.default_rng(0)
    for values in (np.array([7.0]), np.array([3.0, 9.0]), rng.uniform(0, 255, 101), rng.integers(0, 255, 640)):
        assert digit_crop.percentile_90(values) == pytest.approx(np.percentile(values, 90), rel=1e-12)
