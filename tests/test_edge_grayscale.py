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
