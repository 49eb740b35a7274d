"""edge_runtime.synthetic_pages: the hard page set is deterministic, varied, and its truth is honest."""

import functools

import numpy as np
import pytest

from conftest_edge import mnist_test_arrays
from edge_runtime import synthetic_pages


@functools.lru_cache(maxsize=None)
def page_set(count, seed=0):
    images, labels = mnist_test_arrays()
    return synthetic_pages.make_page_set(images, labels, count, seed=seed)


def test_one_page_of_a_set_is_made_alone_as_in_the_set():
    images, labels = mnist_test_arrays()
    pages = synthetic_pages.make_page_set(images, labels, 12, seed=3)
    for index in (0, 7, 11):
        alone = synthetic_pages.page_of_set(images, labels, 12, 3, index)
        np.testing.assert_array_equal(alone.image, pages[index].image)
        assert (alone.lines, alone.boxes, alone.kind) == (pages[index].lines, pages[index].boxes, pages[index].kind)


def test_the_images_indices_as_labels_change_no_pixel_and_name_each_digits_image():
    """scripts/page_set_ceiling.py reads each digit's own MNIST image through this: three pages
    of every kind, made with the images' indices as labels, have the same pixels."""
    images, labels = mnist_test_arrays()
    digits = 0
    for number, kind in enumerate(synthetic_pages.DIGIT_KINDS * 3):
        page = synthetic_pages.make_page(np.random.default_rng([5, number]), images, labels, kind)
        traced = synthetic_pages.make_page(np.random.default_rng([5, number]), images, np.arange(len(images)), kind)
        np.testing.assert_array_equal(traced.image, page.image)
        assert [labels[i] for i in traced.labels] == page.labels, kind
        assert "".join(str(labels[i]) for i in traced.labels) == "".join(page.lines), kind
        digits += len(page.labels)
    assert digits > 50


def test_same_seed_same_pixels_other_seed_other_pixels():
    images, labels = mnist_test_arrays()
    first = synthetic_pages.make_page_set(images, labels, 12, seed=3)
    again = synthetic_pages.make_page_set(images, labels, 12, seed=3)
    other = synthetic_pages.make_page_set(images, labels, 12, seed=4)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.image, b.image)
        assert (a.lines, a.boxes, a.labels, a.kind) == (b.lines, b.boxes, b.labels, b.kind)
    assert any(a.image.shape != c.image.shape or not np.array_equal(a.image, c.image) for a, c in zip(first, other))


def test_lines_spell_the_labels_and_every_digit_has_a_box():
    for page in page_set(100):
        assert "".join(page.lines) == "".join(map(str, page.labels))
        assert len(page.boxes) == len(page.labels) and all(page.lines)
        assert page.image.dtype == np.uint8 and page.image.ndim == 3 and page.image.shape[2] == 3
        assert (page.kind in synthetic_pages.NO_DIGIT_KINDS) == (not page.labels)


def test_boxes_lie_inside_the_photo_and_hold_ink_unlike_the_paper_around():
    for page in page_set(100):
        height, width = page.image.shape[:2]
        gray = page.image.astype(np.float32).min(axis=2)  # coloured ink is dark in some channel
        for x, y, w, h in page.boxes:
            assert 0 <= x and 0 <= y and x + w <= width and y + h <= height and w > 0 and h > 0, (page.kind, (x, y, w, h))
            inner = gray[y:y + h, x:x + w]
            ring = gray[max(0, y - h // 2):y + h + h // 2, max(0, x - w // 2):x + w + w // 2]
            assert np.percentile(inner, 3) < np.percentile(ring, 90) - 35, (page.kind, (x, y, w, h))


def ink_reaches_every_side(gray, box):
    """Tight box: a strip just inside each side holds a pixel clearly darker than the paper."""
    x, y, w, h = box
    inner = gray[y:y + h, x:x + w]
    paper = np.percentile(gray[max(0, y - h // 2):y + h + h // 2, max(0, x - w // 2):x + w + w // 2], 90)
    k = max(2, min(w, h) // 12)
    return all(strip.min() < paper - 25 for strip in (inner[:k], inner[-k:], inner[:, :k], inner[:, -k:]))


def test_boxes_are_tight_and_shifted_boxes_are_not():
    true, shifted, total = 0, 0, 0
    for page in page_set(100):
        gray = page.image.astype(np.float32).min(axis=2)
        height, width = gray.shape
        for x, y, w, h in page.boxes:
            total += 1
            true += ink_reaches_every_side(gray, (x, y, w, h))
            moved = (min(width - w, x + int(0.3 * w)), min(height - h, y + int(0.3 * h)), w, h)
            shifted += ink_reaches_every_side(gray, moved)
    assert total > 500 and true >= 0.97 * total and shifted <= 0.2 * total, (true, shifted, total)


def test_boxes_keep_off_the_border_except_for_big_digits_and_crops():
    for page in page_set(100):
        if page.kind in ("big-digit", "tight-crop"):
            continue
        height, width = page.image.shape[:2]
        for x, y, w, h in page.boxes:
            assert x >= 2 and y >= 2 and x + w <= width - 2 and y + h <= height - 2, (page.kind, (x, y, w, h))


def test_no_digit_share_is_honoured_and_all_kinds_appear():
    pages = page_set(100)
    assert {page.kind for page in pages} == set(synthetic_pages.KINDS)
    assert sum(not page.labels for page in pages) >= 20
    images, labels = mnist_test_arrays()
    half = synthetic_pages.make_page_set(images, labels, 20, seed=1, no_digit_share=0.5)
    assert sum(not page.labels for page in half) >= 10
    with pytest.raises(ValueError, match="no_digit_share"):
        synthetic_pages.make_page_set(images, labels, 3, no_digit_share=1.5)


def test_touching_pages_have_overlapping_neighbours():
    images, labels = mnist_test_arrays()
    rng = np.random.default_rng(0)
    for _ in range(5):
        page = synthetic_pages.make_page(rng, images, labels, "touching")
        pairs = zip(page.boxes[:-1], page.boxes[1:])
        assert any(a[0] + a[2] > b[0] for a, b in pairs), page.boxes


def test_tight_crops_and_big_digits_are_in_range():
    images, labels = mnist_test_arrays()
    rng = np.random.default_rng(1)
    for _ in range(20):
        crop = synthetic_pages.make_page(rng, images, labels, "tight-crop")
        assert 20 <= crop.image.shape[0] <= 60 and crop.image.shape[1] <= 64 and len(crop.labels) == 1
        x, y, w, h = crop.boxes[0]
        assert x <= 2 and y <= 2 and crop.image.shape[1] - (x + w) <= 2 and crop.image.shape[0] - (y + h) <= 2
    for _ in range(3):
        big = synthetic_pages.make_page(rng, images, labels, "big-digit")
        assert len(big.labels) == 1 and big.boxes[0][3] >= 0.5 * big.image.shape[0]


def test_sizes_span_camera_frames_to_large_photos():
    shapes = [page.image.shape[:2] for page in page_set(500)]
    assert (3000, 4000) in shapes
    big = [s for s in shapes if max(s) > 64]
    assert min(max(s) for s in big) >= 640 and sum(s == (3000, 4000) for s in shapes) <= 0.05 * len(shapes)


def test_unknown_kind_is_refused():
    images, labels = mnist_test_arrays()
    with pytest.raises(ValueError, match="unknown kind"):
        synthetic_pages.make_page(np.random.default_rng(0), images, labels, "selfie")
