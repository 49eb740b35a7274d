"""edge_runtime.broken_digits: which stacked regions may be the halves of one broken digit."""

from edge_runtime import broken_digits, segment


def test_stacked_pieces_about_one_digit_tall_are_proposed_and_nothing_else():
    boxes = [
        (100, 100, 40, 30),  # 0: an upper half
        (102, 134, 38, 32),  # 1: its lower half, 4 pixels below
        (160, 100, 40, 66),  # 2: a whole digit beside them
        (300, 100, 40, 30),  # 3: a piece...
        (300, 160, 40, 30),  # 4: ...30 pixels below it, a third of the two's height
        (400, 100, 90, 30),  # 5: a wide piece...
        (400, 132, 90, 30),  # 6: ...over another: together wider than tall
        (500, 100, 40, 50),  # 7: a tall piece...
        (500, 152, 40, 12),  # 8: ...over a dot: over three quarters of the two's height
    ]
    assert broken_digits.stacked_pairs(boxes) == [(0, 1)]
    assert broken_digits.stacked_pairs([(0, 0, 10, 10)]) == []


def test_halves_are_short_against_the_pictures_other_digits_unless_there_are_too_few():
    upper, lower = (100, 100, 40, 30), (102, 134, 38, 32)  # 66 pixels tall together
    assert broken_digits.are_halves(upper, lower, [60, 64, 70])
    assert not broken_digits.are_halves(upper, lower, [40, 42])  # whole digits of two close rows
    assert not broken_digits.are_halves(upper, lower, [40, 43, 43])  # short enough, but together over 1.5 times 43
    assert broken_digits.are_halves(upper, lower, [40])  # a lone digit: the reading decides
    assert broken_digits.are_halves(upper, lower, [])
    heights = [[30], [32], [64], [60, 62]]  # per region: a cut region read two digits
    assert broken_digits.stacked_halves([upper, lower, (200, 100, 40, 64), (300, 100, 80, 62)], heights) == [(0, 1)]
    assert broken_digits.stacked_halves([upper, lower, (200, 100, 30, 40), (300, 100, 30, 41)],
                                        [[30], [32], [40], [41]]) == []


def test_a_joined_region_holds_both_regions_ink_in_the_box_around_both():
    upper = segment.Region((100, 100, 40, 30), (3,), None)
    lower = segment.Region((96, 134, 38, 32), (7, 8), None)
    assert broken_digits.joined(upper, lower) == segment.Region((96, 100, 44, 66), (3, 7, 8), None)
