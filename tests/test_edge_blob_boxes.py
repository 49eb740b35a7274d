"""edge_runtime.blob_boxes: where ink lies against the picture's border."""

import numpy as np

from edge_runtime import blob_boxes


def test_blobs_joined_to_the_border_at_a_corner_count_as_on_the_border():
    """Ink linked to the border only through a diagonal step is one blob with it (8-connected)."""
    mask = np.zeros((12, 12), np.uint8)
    mask[0, 0] = mask[1, 1] = 255
    mask[2:6, 2:6] = 255
    mask[8:10, 8:10] = 255
    inside = blob_boxes.away_from_border(mask)
    assert not inside[2:6, 2:6].any() and inside[8:10, 8:10].all()
