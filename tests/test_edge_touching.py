"""edge_runtime.touching: how many digits a blob may hold and where to cut it, checked without a model."""

import numpy as np

from edge_runtime import preprocess, segment, touching


def test_cuts_fall_on_the_thinnest_columns_between_touching_digits():
    own = np.zeros((30, 60), np.uint8)
    own[:, 2:26] = 1
    own[:, 34:58] = 1
    own[14:16, 26:34] = 1   # a thin bridge where the two digits touch
    region = segment.Region((0, 0, 60, 30), (0,), None)
    left, right = touching.split_region(region, own, 2)
    assert 26 <= left.columns[1] <= 34 and right.columns[0] == left.columns[1]


def test_wide_blobs_are_tried_as_several_digits_narrow_ones_as_one():
    options = preprocess.FindOptions()
    assert touching.piece_counts((0, 0, 20, 30), options) == [1]
    # Two typical digits wide (too wide for one): 2 or 3, or up to 5 when packed as tightly as
    # touching digits may be.
    assert touching.piece_counts((0, 0, 50, 30), options) == [2, 3, 4, 5]
    assert touching.piece_counts((0, 0, 60, 30), options, typical_aspect=0.5) == [3, 4, 5, 6]
    assert 1 in touching.piece_counts((0, 0, 33, 30), options)


def test_a_very_long_run_of_touching_digits_is_still_tried_not_dropped():
    options = preprocess.FindOptions()
    counts = touching.piece_counts((0, 0, 600, 30), options, typical_aspect=0.6)
    assert counts and max(counts) == options.max_pieces


def test_a_pair_parts_first_at_its_thinnest_column_even_off_centre():
    """A narrow digit beside a wide one (a 1 and a 6) parts a third of the way along: the
    thinnest local minimum of the ink profile is tried first, the other tries keep a tenth of
    the width apart from it and from each other, and none falls in the outer fifths."""
    own = np.zeros((30, 60), np.uint8)
    own[:, 4:17] = 1
    own[14:16, 17:22] = 1  # the thin bridge where the two touch
    own[:, 22:56] = 1
    own[5:25, 35:40] = 0   # a wide digit's own waist, thinner than its sides but not the thinnest
    cuts = touching.pair_cuts(touching.column_profile(own))
    assert 17 <= cuts[0] < 22
    assert all(12 <= c <= 48 for c in cuts) and len(cuts) <= 3
    assert all(abs(a - b) > 6 for i, a in enumerate(cuts) for b in cuts[i + 1:])
