"""edge_runtime.merging: the pieces of one digit joined (a detached bar, a digit broken at its
middle), thousands of specks compared only with their neighbours."""

import numpy as np

from conftest_edge import boxes_of
from edge_runtime import blob_boxes, merging


def test_a_detached_bar_joins_its_digit_and_a_neighbour_stays_apart():
    body = (100, 40, 30, 50, 600)      # a 5 without its bar
    bar = (104, 30, 28, 6, 120)        # the bar above it, overlapping in x
    neighbour = (150, 40, 30, 50, 600)
    groups = merging.merge_pieces(boxes_of([bar, body, neighbour]))
    assert sorted(sorted(int(i) for i in g) for g in groups) == [[0, 1], [2]]


def test_the_dashes_of_a_printed_box_around_a_digit_are_not_its_bars():
    """seed 0's page 215: an amount in a printed box that the threshold broke into dashes 1 px
    tall; its 8 (59 px) took the dash above it and the one below as bars, and read as a 3.
    A bar as thin as a fine pen's still joins: 2 px over a 38 px digit, 1 px over a 30 px one,
    and 3 px over a close-up digit 200 px tall."""
    eight = (301, 324, 41, 59, 41 * 59)
    above, below = (287, 312, 39, 1, 39), (296, 405, 33, 1, 33)
    groups = merging.merge_pieces(boxes_of([eight, above, below]))
    assert sorted(sorted(int(i) for i in g) for g in groups) == [[0], [1], [2]]
    for body, bar in [((100, 40, 24, 38, 24 * 38), (104, 34, 20, 2, 40)),
                      ((100, 40, 20, 30, 20 * 30), (102, 35, 18, 1, 18)),
                      ((100, 40, 120, 200, 120 * 200), (110, 30, 100, 3, 300))]:
        assert [sorted(int(i) for i in g) for g in merging.merge_pieces(boxes_of([body, bar]))] == [[0, 1]], body


def test_a_whole_digit_under_a_slanted_neighbours_overhang_is_not_its_bar():
    """hypjudy_05's "57": the 5 sits under the 7's top stroke, overlapping it by 7 of its 20
    px. Short beside the tall 7, it passed as a flat bar and the pair was read as one 7."""
    seven = (253, 90, 35, 83, 35 * 83)
    five = (240, 113, 20, 32, 20 * 32)
    groups = merging.merge_pieces(boxes_of([seven, five]))
    assert sorted(sorted(int(i) for i in g) for g in groups) == [[0], [1]]
    bar = (240, 113, 20, 8, 20 * 8)  # as short, but a bar: wider than tall
    assert [sorted(int(i) for i in g) for g in merging.merge_pieces(boxes_of([seven, bar]))] == [[0, 1]]


def test_an_underline_is_neither_a_digits_piece_nor_its_anchor():
    """The boxes of an underlined row: the line 15 pixels under a 0 as big as it (its box area
    a little under the 0's, so the 0 anchors) and under a smaller 1 (the line anchors). A 7's
    bar as wide as the 7 is tall still joins its stem, and its stem's stub too."""
    zero, line = (355, 210, 43, 43, 43 * 43), (145, 266, 306, 6, 306 * 6)
    one = (411, 215, 20, 38, 20 * 38)
    for digit in (zero, one):
        groups = merging.merge_pieces(boxes_of([digit, line]))
        assert sorted(sorted(int(i) for i in g) for g in groups) == [[0], [1]], digit
    stem, bar = (120, 50, 10, 40, 400), (100, 40, 40, 6, 240)
    assert [sorted(int(i) for i in g) for g in merging.merge_pieces(boxes_of([stem, bar]))] == [[0, 1]]
    # A faint stem broken off short: beside its 12-pixel stub the 30-pixel bar is no rule in
    # a picture of 30-pixel digits.
    stub, bar = (112, 44, 6, 12, 72), (100, 40, 30, 4, 120)
    groups = merging.merge_pieces(boxes_of([stub, bar]), digit_height=30.0)
    assert [sorted(int(i) for i in g) for g in groups] == [[0, 1]]


def test_a_digit_broken_at_its_middle_is_joined_when_the_halves_make_one_digit_height():
    """hypjudy_03's 2: its hook (10x8) and its base (19x12) are each far shorter than the
    line's digits (about 22 px); together 21 px, they are one digit, not over 1.5 times the
    taller half (18 px)."""
    base, hook = (79, 201, 19, 12, 19 * 12), (88, 192, 10, 8, 10 * 8)
    assert sorted(map(len, merging.merge_pieces(boxes_of([base, hook])))) == [1, 1]
    assert [len(g) for g in merging.merge_pieces(boxes_of([base, hook]), digit_height=22.0)] == [2]
    stacked = (79, 240, 19, 22, 19 * 22)  # a whole digit of the next line is not joined
    assert sorted(map(len, merging.merge_pieces(boxes_of([base, hook, stacked]), digit_height=22.0))) == [1, 2]


def test_merging_thousands_of_specks_compares_only_nearby_pieces(monkeypatch):
    """Comparing every pair made a speckled 640x480 frame take 20 s; windows in x within
    bands of rows keep it linear (a window in x alone compared about 45 pieces per speck here)."""
    rng = np.random.default_rng(0)
    count = 4000
    rows = np.column_stack([rng.integers(0, 636, count), rng.integers(0, 476, count),
                            np.full(count, 3), np.full(count, 3), np.full(count, 5)])
    compared = []
    real = merging.candidate_pairs

    def counting(boxes, anchors, reach):
        pairs = real(boxes, anchors, reach)
        compared.append(len(pairs[1]))
        return pairs
    monkeypatch.setattr(merging, "candidate_pairs", counting)
    groups = merging.merge_pieces(boxes_of(rows))
    assert sum(len(g) for g in groups) == count
    assert 0 < sum(compared) < 4 * count  # all pairs would be 16 million


def merged_by_comparing_every_pair(boxes, min_anchor_side, digit_height):
    """merge_pieces as its rule reads, without windows: each anchor, largest first, takes
    every smaller unclaimed piece it may merge with, left to right."""
    order = np.argsort(-boxes[:, blob_boxes.AREA], kind="stable")
    rank = np.argsort(order, kind="stable")
    left_to_right = np.argsort(boxes[:, blob_boxes.X], kind="stable")
    owned, groups = set(), []
    for anchor in order.tolist():
        if anchor in owned or max(boxes[anchor, blob_boxes.W], boxes[anchor, blob_boxes.H]) < min_anchor_side:
            continue
        fits = merging.mergeable(boxes[anchor], boxes, digit_height)
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
            windowed = [[int(i) for i in g] for g in merging.merge_pieces(boxes, min_side, digit_height)]
            assert windowed == merged_by_comparing_every_pair(boxes, min_side, digit_height)
            assert sum(len(g) > 1 for g in windowed) >= 20  # many pieces were joined


def test_halves_of_a_big_digit_pair_up_across_bands_set_by_smaller_blobs():
    """The bands are as tall as the furthest two tops of one digit may lie apart: 1.5 times
    the typical height when that is more than the tallest blob (here 105 px, not 88.5)."""
    top, bottom, blob = (100, 80, 30, 5, 150), (100, 180, 30, 5, 150), (400, 0, 20, 59, 1180)
    groups = merging.merge_pieces(boxes_of([blob, top, bottom]), 0, digit_height=70.0)
    assert [[int(i) for i in g] for g in groups] == [[0], [1, 2]]


def test_a_row_whose_boxes_do_not_overlap_in_x_is_told_apart_cheaply_and_groups_the_same():
    """merge_pieces skips the pair tests when no two boxes overlap in x (a clean row of
    digits): its groups are still the reference's, and overlap_in_x tells touching boxes
    (no overlap) from boxes sharing one column, in any order."""
    assert not merging.overlap_in_x(boxes_of([(0, 0, 10, 20, 200), (10, 0, 10, 20, 200)]))
    assert merging.overlap_in_x(boxes_of([(0, 0, 11, 20, 220), (10, 0, 10, 20, 200)]))
    assert merging.overlap_in_x(boxes_of([(60, 0, 10, 20, 200), (0, 0, 100, 5, 500), (30, 40, 5, 20, 100)]))
    assert not merging.overlap_in_x(boxes_of([(60, 0, 10, 20, 200), (0, 0, 10, 20, 200), (30, 40, 5, 20, 100)]))
    for seed in range(20):
        rng = np.random.default_rng(seed)
        count = 12
        w, h = rng.integers(1, 30, count), rng.integers(1, 60, count)
        left = np.cumsum(w + rng.integers(0, 4, count)) - w  # side by side, some touching
        order = rng.permutation(count)
        rows = np.column_stack([left, rng.integers(0, 50, count), w, h, w * h])[order]
        boxes = boxes_of(rows)
        assert not merging.overlap_in_x(boxes)
        for min_side, digit_height in [(0, 0.0), (7, 0.0), (7, 30.0)]:
            grouped = [[int(i) for i in g] for g in merging.merge_pieces(boxes, min_side, digit_height)]
            assert grouped == merged_by_comparing_every_pair(boxes, min_side, digit_height)
