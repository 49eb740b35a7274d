"""edge_runtime.grayscale: any supported picture -> 8-bit gray."""

import numpy as np
import pytest

from edge_runtime import grayscale


def test_to_grayscale_accepts_gray_bgr_bgra_and_16_bit():
    bgr = np.zeros((4, 5, 3), np.uint8)
    bgr[..., 2] = 255  # pure red
    assert grayscale.to_grayscale(bgr).shape == (4, 5)
    assert grayscale.to_grayscale(bgr)[0, 0] == 76  # ITU-R BT.601 weight of red
    assert grayscale.to_grayscale(np.dstack([bgr, bgr[..., :1]])).shape == (4, 5)
    assert grayscale.to_grayscale(np.full((3, 3), 65535, np.uint16))[0, 0] == 255
    with pytest.raises(ValueError, match="float32"):
        grayscale.to_grayscale(np.zeros((3, 3), np.float32))
    with pytest.raises(ValueError, match=r"\(3, 3, 2\)"):
        grayscale.to_grayscale(np.zeros((3, 3, 2), np.uint8))


def test_percentiles_come_from_the_histogram():
    ramp = np.arange(256, dtype=np.uint8).reshape(16, 16)  # each level once
    assert grayscale.percentiles(ramp, (0.0, 0.5, 1.0)) == [0, 127, 255]
    assert grayscale.percentiles(np.full((3, 5), 77, np.uint8), (0.01, 0.99)) == [77, 77]


def test_the_quarter_size_copy_averages_four_by_four_blocks():
    picture = np.kron(np.array([[0, 40], [200, 255]], np.uint8), np.ones((8, 8), np.uint8))
    picture[0, 0] = 16  # one pixel of a 4x4 block: its mean rises by one
    small = grayscale.quarter_size(picture)
    assert small.shape == (4, 4)
    assert small[0, 0] == 1 and small[0, 1] == 0 and small[0, 3] == 40 and small[3, 0] == 200 and small[3, 3] == 255
    assert grayscale.quarter_size(np.zeros((3, 2), np.uint8)).shape == (1, 1)  # never empty
