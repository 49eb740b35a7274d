"""edge_runtime.segment: joining broken strokes, frame-edge blobs, shapes that are no digit."""

import cv2
import numpy as np

from edge_runtime import preprocess, segment


def boxes_of(rows):
    return np.array(rows, dtype=np.float64).reshape(-1, 5)


def test_a_detached_bar_joins_its_digit_and_a_neighbour_stays_apart():
    body = (100, 40, 30, 50, 600)      # a 5 without its bar
    bar = (104, 30, 28, 6, 120)        # the bar above it, overlapping in x
    neighbour = (150, 40, 30, 50, 600)
    groups = segment.merge_pieces(boxes_of([bar, body, neighbour]))
    assert sorted(sorted(int(i) for i in g) for g in groups) == [[0, 1], [2]]


def test_a_whole_digit_under_a_slanted_neighbours_overhang_is_not_its_bar():
    """hypjudy_05's "57": the 5 sits under the 7's top stroke, overlapping it by 7 of its 20
    px. Short beside the tall 7, it passed as a flat bar and the pair was read as one 7."""
    seven = (253, 90, 35, 83, 35 * 83)
    five = (240, 113, 20, 32, 20 * 32)
    groups = segment.merge_pieces(boxes_of([seven, five]))
    assert sorted(sorted(int(i) for i in g) for g in groups) == [[0], [1]]
    bar = (240, 113, 20, 8, 20 * 8)  # as short, but a bar: wider than tall
    assert [sorted(int(i) for i in g) for g in segment.merge_pieces(boxes_of([seven, bar]))] == [[0, 1]]


def test_a_digit_broken_at_its_middle_is_joined_when_the_halves_make_one_digit_height():
    """hypjudy_03's 2: its hook (10x8) and its base (19x12) are each far shorter than the
    line's digits (about 22 px); together 21 px, they are one digit, not over 1.5 times the
    taller half (18 px)."""
    base, hook = (79, 201, 19, 12, 19 * 12), (88, 192, 10, 8, 10 * 8)
    assert sorted(map(len, segment.merge_pieces(boxes_of([base, hook])))) == [1, 1]
    assert [len(g) for g in segment.merge_pieces(boxes_of([base, hook]), digit_height=22.0)] == [2]
    stacked = (79, 240, 19, 22, 19 * 22)  # a whole digit of the next line is not joined
    assert sorted(map(len, segment.merge_pieces(boxes_of([base, hook, stacked]), digit_height=22.0))) == [1, 2]


def test_merging_thousands_of_specks_compares_only_nearby_pieces(monkeypatch):
    """Comparing every pair made a speckled 640x480 frame take 20 s; windows in x within
    bands of rows keep it linear (a window in x alone compared about 45 pieces per speck here)."""
    rng = np.random.default_rng(0)
    count = 4000
    rows = np.column_stack([rng.integers(0, 636, count), rng.integers(0, 476, count),
                            np.full(count, 3), np.full(count, 3), np.full(count, 5)])
    compared = []
    real = segment.candidate_pairs

    def counting(boxes, anchors, reach):
        pairs = real(boxes, anchors, reach)
        compared.append(len(pairs[1]))
        return pairs
    monkeypatch.setattr(segment, "candidate_pairs", counting)
    groups = segment.merge_pieces(boxes_of(rows))
    assert sum(len(g) for g in groups) == count
    assert 0 < sum(compared) < 4 * count  # all pairs would be 16 million


def merged_by_comparing_every_pair(boxes, min_anchor_side, digit_height):
    """merge_pieces as its rule reads, without windows: each anchor, largest first, takes
    every smaller unclaimed piece it may merge with, left to right."""
    order = np.argsort(-boxes[:, segment.AREA], kind="stable")
    rank = np.argsort(order, kind="stable")
    left_to_right = np.argsort(boxes[:, segment.X], kind="stable")
    owned, groups = set(), []
    for anchor in order.tolist():
        if anchor in owned or max(boxes[anchor, segment.W], boxes[anchor, segment.H]) < min_anchor_side:
            continue
        fits = segment.mergeable(boxes[anchor], boxes, digit_height)
        members = [anchor] + [p for p in left_to_right.tolist()
                              if fits[p] and rank[p] > rank[anchor] and p not in owned]
        owned.update(members)
        groups.append(members)
    return groups


def test_the_windows_find_every_pair_that_comparing_all_pairs_finds():
    """Digits, bars, halves and specks strewn densely, with and without a typical height
    (which lets two halves join up to 1.5 times it): the same groups, in the same order."""
    for seed in range(6):
        rng = np.random.default_rng(seed)
        count = 400
        w, h = rng.integers(1, 45, count), rng.integers(1, 60, count)
        rows = np.column_stack([rng.integers(0, 300, count), rng.integers(0, 220, count), w, h, w * h])
        boxes = boxes_of(rows)
        for min_side, digit_height in [(0, 0.0), (7, 0.0), (7, 30.0), (3, 70.0), (3, 90.0)]:
            windowed = [[int(i) for i in g] for g in segment.merge_pieces(boxes, min_side, digit_height)]
            assert windowed == merged_by_comparing_every_pair(boxes, min_side, digit_height)
            assert sum(len(g) > 1 for g in windowed) >= 20  # many pieces were joined


def test_halves_of_a_big_digit_pair_up_across_bands_set_by_smaller_blobs():
    """The bands are as tall as the furthest two tops of one digit may lie apart: 1.5 times
    the typical height when that is more than the tallest blob (here 105 px, not 88.5)."""
    top, bottom, blob = (100, 80, 30, 5, 150), (100, 180, 30, 5, 150), (400, 0, 20, 59, 1180)
    groups = segment.merge_pieces(boxes_of([blob, top, bottom]), 0, digit_height=70.0)
    assert [[int(i) for i in g] for g in groups] == [[0], [1, 2]]


def page_with_a_dark_desk_border():
    page = np.full((480, 640), 200, np.uint8)
    page[:, :12] = 40     # the desk beside the paper, along the left edge
    page[:8, :] = 40      # and along the top edge
    cv2.putText(page, "38", (260, 300), cv2.FONT_HERSHEY_SIMPLEX, 2.5, 30, 6)
    return page


def test_the_desk_along_the_frame_edge_neither_counts_as_a_digit_nor_swallows_the_digits():
    found = preprocess.find_digits(page_with_a_dark_desk_border())
    assert len(found) == 2
    assert all(250 <= c.box[0] <= 360 and 240 <= c.box[1] <= 300 for c in found)


def test_a_digit_held_close_to_the_camera_may_touch_the_frame_edge():
    frame = np.full((480, 640), 210, np.uint8)
    cv2.line(frame, (320, 0), (330, 479), 20, 40)  # a huge 1 from top to bottom edge
    (candidate,) = preprocess.find_digits(frame)
    assert candidate.box[3] >= 470


def test_a_tight_crop_whose_ink_touches_every_edge_is_still_a_digit():
    crop = np.zeros((20, 14), np.uint8)
    cv2.ellipse(crop, (7, 10), (6, 9), 0, 0, 360, 255, 2)  # a 0 touching all four sides
    (candidate,) = preprocess.find_digits(crop)
    assert candidate.box == (0, 0, 14, 20)


def digits_inside_a_drawn_frame():
    """Five digits under a thin drawn bracket, open below (inside a closed outline they would
    be holes in it): the bracket, anchoring the merge, claims them all as its pieces, as the
    outline of a shadow or of a sticky note does on a photo."""
    page = np.full((480, 640), 205, np.uint8)
    cv2.polylines(page, [np.array([[150, 360], [150, 120], [450, 120], [450, 360]])], False, 60, 2)
    for index, digit in enumerate("35826"):
        cv2.putText(page, digit, (175 + 56 * index, 270), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 30, 5)
    return page


def test_digits_claimed_by_a_shape_that_is_no_digit_are_grouped_again_on_their_own():
    """Before, the bracket and its five pieces failed as one speck cluster: no digit found."""
    found = preprocess.find_digits(digits_inside_a_drawn_frame())
    assert len(found) == 5
    assert all(170 <= c.box[0] <= 420 and 220 <= c.box[1] <= 270 for c in found)


def test_the_edge_of_a_tilted_page_is_a_hairline_but_a_slanted_1_is_not():
    """After the lighting correction a tilted page's edge is a long thin slanted line, which
    passed every shape test and was read as a 1."""
    for width, found in ((3, 0), (14, 1)):  # the edge; a marker 1 as long
        frame = np.full((768, 1024), 215, np.uint8)
        cv2.line(frame, (130, 150), (180, 620), 40, width)
        assert len(preprocess.find_digits(frame)) == found
        ink = np.zeros((470, 80), np.uint8)
        cv2.line(ink, (10, 0), (60, 469), 255, width)
        contours, _ = cv2.findContours(ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        assert segment.is_hairline(contours[0], cv2.boundingRect(contours[0])) == (found == 0)


def test_a_failed_group_lets_go_of_its_small_pieces_not_of_a_big_patch():
    """A shadow's patch beside a page's outline, released, was read as a 7 (0.96)."""
    boxes = boxes_of([(0, 0, 500, 600, 3000), (20, 40, 30, 40, 1200), (100, 300, 400, 250, 60000)])
    group = segment.group_box(boxes, [0, 1, 2])
    assert segment.released_pieces(boxes, group, [0, 1, 2]) == [1]


def test_blobs_joined_to_the_border_at_a_corner_count_as_on_the_border():
    """Ink linked to the border only through a diagonal step is one blob with it (8-connected)."""
    mask = np.zeros((12, 12), np.uint8)
    mask[0, 0] = mask[1, 1] = 255
    mask[2:6, 2:6] = 255
    mask[8:10, 8:10] = 255
    inside = segment.away_from_border(mask)
    assert not inside[2:6, 2:6].any() and inside[8:10, 8:10].all()
