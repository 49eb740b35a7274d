"""edge_runtime.blob_boxes: the box around a group of blobs, a box's share of the picture, and
where boxes and ink lie against the picture's border."""

import numpy as np

from conftest_edge import boxes_of
from edge_runtime import blob_boxes


def test_a_group_box_holds_its_members_and_sums_their_areas():
    boxes = boxes_of([(10, 20, 30, 40, 600), (50, 5, 10, 10, 80), (0, 0, 5, 5, 25)])
    assert blob_boxes.group_box(boxes, [0, 1]).tolist() == [10, 5, 50, 55, 680]
    assert blob_boxes.group_boxes(boxes, [[2], [1, 0]]).tolist() == [[0, 0, 5, 5, 25], [10, 5, 50, 55, 680]]
    assert blob_boxes.group_boxes(boxes, []).shape == (0, 5)
    alone = blob_boxes.group_boxes(boxes, [[2], [0]])  # one blob each: their own rows, copied
    assert alone.tolist() == [[0, 0, 5, 5, 25], [10, 20, 30, 40, 600]]
    alone[0, 0] = 99
    assert boxes[2, 0] == 0


def test_one_box_or_many_against_the_picture():
    """The same tests answer for one (x, y, w, h) box and for an array of rows at once."""
    shape = (480, 640)
    rows = boxes_of([(300, 200, 40, 60, 0), (0, 100, 20, 300, 0), (100, 470, 400, 10, 0)])
    assert blob_boxes.touches_border(rows, shape, 2).tolist() == [False, True, True]
    assert blob_boxes.spans(rows, shape, 0.5).tolist() == [False, True, True]
    assert not blob_boxes.touches_border((300, 200, 40, 60), shape, 2)
    assert blob_boxes.touches_border((300, 200, 40, 60), shape, 201)
    assert blob_boxes.spans((300, 200, 40, 60), shape, 0.125) and not blob_boxes.spans((300, 200, 40, 60), shape, 0.13)


def test_blobs_joined_to_the_border_at_a_corner_count_as_on_the_border():
    """Ink linked to the border only through a diagonal step is one blob with it (8-connected)."""
    mask = np.zeros((12, 12), np.uint8)
    mask[0, 0] = mask[1, 1] = 255
    mask[2:6, 2:6] = 255
    mask[8:10, 8:10] = 255
    inside = blob_boxes.away_from_border(mask)
    assert not inside[2:6, 2:6].any() and inside[8:10, 8:10].all()


def test_contour_boxes_are_opencvs_bounding_rects_of_every_contour_at_once():
    """Specks, single pixels, lines one pixel wide, blobs touching the border and holes: the
    same (x, y, w, h) as one cv2.boundingRect call per contour, and none for no contour."""
    import cv2

    rng = np.random.default_rng(7)
    mask = np.where(rng.random((120, 160)) < 0.08, 255, 0).astype(np.uint8)
    mask[40:80, 50:52] = 255
    mask[10:30, 100:140] = 255
    mask[15:25, 110:130] = 0
    mask[:, 0] = 255
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    assert len(contours) > 100
    expected = [cv2.boundingRect(contour) for contour in contours]
    assert blob_boxes.contour_boxes(contours).tolist() == [list(box) for box in expected]
    assert blob_boxes.contour_boxes(()).shape == (0, 4)
