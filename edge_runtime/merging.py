"""Broken strokes -> one digit: which small blobs join a larger one (a 5's detached bar, a 4's
open top, the halves of a digit broken at its middle), for thousands of blobs at once.
"""

import numpy as np

from edge_runtime.blob_boxes import AREA, H, W, X, Y

# A detached bar (a 5's top, a 7's cross-stroke) is short and at least this wide for its
# height; a whole digit beside a slanted neighbour is short too, but taller than wide (a 5
# under a 7's overhang, 20x32 px, was merged into the 7 as its "bar").
BAR_ASPECT = 0.7
FLAT = 0.4  # a bar is under this share of its digit's height
# Pieces both under this share of the picture's typical blob height may be the halves of one
# broken digit, and join up to 1.5 times that height (one_digit_tall).
HALF_DIGIT = 0.75
# A flat piece at most PRINTED_LINE_PX tall and under PRINTED_LINE of the anchor's height is a
# dash of a printed line (the box around an amount on a form, a ruling that the threshold broke
# up), not a bar drawn with the digit's own pen: the anchor took the dash above it and the one
# below it as its pieces, and an amount in a box read "993" for "9380543". Measured on the
# harder sets (1,100 pages): 5 pages more read exactly, amounts in boxes, and none fewer; letter
# pages, pages without digits and the real photos read the same. At 0.05, a squared page and
# a letter page read worse. The cap in pixels keeps a big close-up digit's thin bar (a 7's
# cross-stroke 3 pixels thick on a 200-pixel digit): a pen's bar is never thinner than a
# printed line there. A box printed 2 pixels thick around digits over 66 pixels tall, or 3
# pixels thick, is still joined to them.
PRINTED_LINE = 0.03
PRINTED_LINE_PX = 2
# A flat piece wider than RULE_WIDE times the other's width and height and the picture's typical
# blob height (whichever is largest) is a rule, not part of a digit: an underline beneath a
# number, a ruling or a strike through it.
# As a piece it joined the digit above it, as an anchor it claimed the digits above it, and the
# group of both failed as a digit or read wrong: digits.png's handwriting with a line drawn
# 6 or 15 pixels under the number read exactly 16 and 23 of 40 times, now 36 and 37
# (tests/test_edge_classify.py); a line that touches the digits is still one blob with them.
# A 5's or a 7's bar is never twice as wide as its digit is tall, and the typical height stands
# in for the digit's when the bar's other piece is a short stub of a broken stem. The harder
# sets, the letter pages and the pages without digits read the same.
RULE_WIDE = 2.0
NEIGHBOUR_BANDS = (-1.0, 0.0, 1.0)  # candidate_pairs: the bands a piece of an anchor's digit may lie in


def mergeable(anchor, pieces, digit_height=0.0):
    """Which pieces belong to the anchor's digit (a 5's detached bar, a 4's open top); the
    anchor is one [x, y, w, h, area] row or one row per piece.

    They overlap it in x by half the narrower width (a quarter for a flat bar, under 0.4 of
    the anchor's height and BAR_ASPECT or wider, which often juts out sideways), are a fair
    part of it (a whole digit inside a big blob's box, desk texture or a shadow, is not a
    piece of that blob), and together stay about one digit tall: 1.5 times the taller of the
    two, or of `digit_height`, the picture's typical blob (a 2 broken at its middle has two
    short halves that together are as tall as their neighbours). A flat bar as thin as a
    printed line (PRINTED_LINE, PRINTED_LINE_PX) never joins, and a rule never joins a digit
    beside it (RULE_WIDE), as a piece or as an anchor.
    """
    ax, ay, aw, ah = (anchor[..., k] for k in (X, Y, W, H))
    px, py, pw, ph = (pieces[:, k] for k in (X, Y, W, H))
    overlap = np.minimum(ax + aw, px + pw) - np.maximum(ax, px)
    flat = (ph < FLAT * ah) & (pw >= BAR_ASPECT * ph)
    overlaps = overlap >= np.where(flat, 0.25, 0.5) * np.minimum(aw, pw)
    sizeable = np.maximum(pw / aw, ph / ah) >= 0.15
    printed = flat & (ph <= PRINTED_LINE_PX) & (ph < PRINTED_LINE * ah)
    rules = is_rule_beside(pw, ph, aw, ah, digit_height) | is_rule_beside(aw, ah, pw, ph, digit_height)
    height = np.maximum(ay + ah, py + ph) - np.minimum(ay, py)
    return overlaps & sizeable & ~printed & ~rules & (height <= one_digit_tall(ah, ph, digit_height))


def is_rule_beside(width, height, other_width, other_height, digit_height=0.0):
    """Whether a blob of this width and height is a rule beside the other (RULE_WIDE): flat
    against it (as a bar is: under FLAT of its height) and wider than RULE_WIDE times its
    larger side and the picture's typical blob height."""
    longest = np.maximum(np.maximum(other_width, other_height), digit_height)
    return (height < FLAT * other_height) & (width > RULE_WIDE * longest)


def one_digit_tall(ah, ph, digit_height):
    """The tallest a joined pair may be: 1.5 times the taller piece, or the picture's typical
    blob when both pieces are well under it (the halves of a broken digit; two whole small
    digits stacked under big ones are not joined)."""
    taller = np.maximum(ah, ph)
    halves = taller < HALF_DIGIT * digit_height
    return 1.5 * np.where(halves, np.maximum(taller, digit_height), taller)


def candidate_pairs(boxes, anchors, reach):
    """(anchor, piece) index arrays, a superset of the pieces whose x-range can overlap an
    anchor's and whose top lies within `reach` of its top, in no particular order.

    Pieces are sorted by x within bands `reach` rows tall, and each anchor takes a window in
    x in its own band and the two beside it: thousands of specks make thousands of pairs,
    not millions (a window in x alone over a whole speckled frame made 116,000).
    """
    widest = boxes[:, W].max(initial=0.0)
    band = np.floor(boxes[:, Y] / max(reach, 1.0))
    stride = boxes[:, X].max(initial=0.0) + 2.0 * widest + 1.0  # keys of one band never reach the next
    key = band * stride + boxes[:, X]
    by_key = np.argsort(key, kind="stable")
    sorted_key = key[by_key]
    # One window per anchor and band: its own, the one above and the one below.
    base = ((band[anchors, np.newaxis] + np.array(NEIGHBOUR_BANDS)) * stride + boxes[anchors, X, np.newaxis]).ravel()
    low = np.searchsorted(sorted_key, base - widest)
    high = np.searchsorted(sorted_key, base + np.repeat(boxes[anchors, W], len(NEIGHBOUR_BANDS)), side="right")
    counts = high - low
    starts = np.repeat(low - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return np.repeat(np.repeat(anchors, len(NEIGHBOUR_BANDS)), counts), by_key[np.arange(counts.sum()) + starts]


def merge_pieces(boxes, min_anchor_side=0, digit_height=0.0):
    """Groups of component indices that form one digit, largest component first
    (`digit_height`: see mergeable).

    Each unclaimed component at least `min_anchor_side` long, largest first, claims the
    smaller unclaimed ones it should merge with; smaller pieces left unclaimed are specks and
    dropped. Which pairs could merge is worked out for all components at once (claims), and
    not at all when no two overlap in x (overlap_in_x).
    """
    order = np.argsort(-boxes[:, AREA], kind="stable")
    anchors = np.flatnonzero(np.maximum(boxes[:, W], boxes[:, H]) >= min_anchor_side)
    claimed = claims(boxes, anchors, order, digit_height) if overlap_in_x(boxes) else {}
    is_anchor = np.zeros(len(boxes), dtype=bool)
    is_anchor[anchors] = True
    owner = [-1] * len(boxes)
    groups = []
    for anchor in order[is_anchor[order]].tolist():
        if owner[anchor] >= 0:
            continue
        members = [anchor] + [p for p in claimed.get(anchor, ()) if owner[p] < 0]
        for member in members:
            owner[member] = anchor
        groups.append(members)
    return groups


def claims(boxes, anchors, order, digit_height=0.0):
    """{anchor: the smaller pieces it may merge with, left to right} (`order`: the components,
    largest first), over the pairs whose x-ranges can overlap and whose tops lie near enough
    (candidate_pairs): comparing every pair, one at a time, took 20 s on a frame strewn with
    specks."""
    rank = np.empty(len(boxes), dtype=np.int64)
    rank[order] = np.arange(len(boxes))
    # No pair stays one digit tall with tops further apart than this (one_digit_tall).
    reach = 1.5 * max(boxes[:, H].max(initial=0.0), digit_height)
    anchor_of, piece = candidate_pairs(boxes, anchors, reach)
    # Cheap tests first: a smaller piece, its top near enough for the pair to stay one digit
    # tall (mergeable's height test implies this); on a speckled frame most pairs fail here.
    tall = one_digit_tall(boxes[anchor_of, H], boxes[piece, H], digit_height)
    near = (rank[piece] > rank[anchor_of]) & (np.abs(boxes[anchor_of, Y] - boxes[piece, Y]) <= tall)
    anchor_of, piece = anchor_of[near], piece[near]
    keep = mergeable(boxes[anchor_of], boxes[piece], digit_height)
    left_to_right = np.lexsort((piece[keep], boxes[piece[keep], X], anchor_of[keep]))  # each anchor's pieces
    claimed = {}
    for a, p in zip(anchor_of[keep][left_to_right].tolist(), piece[keep][left_to_right].tolist()):
        claimed.setdefault(a, []).append(p)
    return claimed


def overlap_in_x(boxes):
    """Whether the column ranges of some two boxes overlap: a piece joins an anchor only where
    they do (mergeable), and in a frame holding one clean row of digits none do: merge_pieces
    then takes a quarter of the time. Sorted by their left edges, two boxes overlap only if
    some box overlaps the next one."""
    by_x = np.argsort(boxes[:, X], kind="stable")
    left = boxes[by_x, X]
    return bool(np.any(left[:-1] + boxes[by_x[:-1], W] > left[1:]))
