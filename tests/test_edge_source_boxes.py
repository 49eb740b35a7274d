"""edge_runtime.source_boxes: working-pixel boxes back in the caller's picture."""

from edge_runtime import preprocess, source_boxes


def test_an_enlarged_pictures_boxes_cover_the_pixels_they_started_in():
    """At factor 0.5 a box from working pixel 7 to 10 covers source pixels 3 to 4 (3.5 to 5):
    corners go outward, not to the nearest even pixel."""
    page = preprocess.Page(None, None, None, None, None, 20, 0.5, 0, (100, 100))
    assert source_boxes.to_source_box(page, (7, 7, 3, 3)) == (3, 3, 2, 2)
    # A 328-pixel picture enlarged to 640: float error must not widen a box by a pixel.
    page = page._replace(factor=1.0 / (640 / 328), source_shape=(328, 328))  # as working_copy makes it
    assert page.factor * 80 != 41 and source_boxes.to_source_box(page, (80, 80, 80, 80)) == (41, 41, 41, 41)


def test_a_box_is_clipped_to_the_picture_and_never_empty():
    assert source_boxes.clipped_box(-5, -5, 20, 30, (25, 15)) == (0, 0, 15, 25)
    assert source_boxes.clipped_box(40, 40, 40, 40, (25, 15)) == (14, 24, 1, 1)
