"""edge_runtime.synthetic: the generated photo set is deterministic and its ground truth is right."""

import numpy as np

from conftest_edge import mnist_test_arrays
from edge_runtime import synthetic
from edge_runtime.classify import Digit


def test_same_seed_same_photos_and_digits_are_used_once():
    images, labels = mnist_test_arrays()
    first = synthetic.make_photo_set(images[:100], labels[:100], 5, seed=4)
    again = synthetic.make_photo_set(images[:100], labels[:100], 5, seed=4)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.image, b.image)
        assert (a.labels, a.boxes) == (b.labels, b.boxes)
    assert all(1 <= len(p.labels) <= 5 and p.image.shape == (480, 640, 3) for p in first)


def test_boxes_are_inside_the_photo_left_to_right_and_cover_dark_ink():
    images, labels = mnist_test_arrays()
    for photo in synthetic.make_photo_set(images, labels, 10, seed=5):
        xs = [box[0] for box in photo.boxes]
        assert xs == sorted(xs)
        gray = photo.image.mean(axis=2)
        for x, y, w, h in photo.boxes:
            assert x >= 0 and y >= 0 and x + w <= 640 and y + h <= 480
            assert gray[y:y + h, x:x + w].min() < gray.mean() - 40  # ink is in the box


def test_box_iou_and_matching():
    assert synthetic.box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert synthetic.box_iou((0, 0, 10, 10), (5, 0, 10, 10)) == 50 / 150
    assert synthetic.box_iou((0, 0, 10, 10), (20, 0, 10, 10)) == 0.0
    photo = synthetic.Photo(None, [3, 8], [(0, 0, 10, 10), (50, 0, 10, 10)])
    found = [Digit("8", 0.9, (51, 0, 10, 10), None), Digit("3", 0.9, (100, 0, 5, 5), None),
             Digit("3", 0.9, (1, 1, 10, 10), None)]
    pairs = synthetic.match_digits(photo, found)
    assert pairs == [(0, 2), (1, 0)] and synthetic.count_correct(photo, found, pairs) == 2
