"""What of a flattened picture is ink: Otsu's level, or a lower one found without the blobs
that touch the picture's border (a dark desk, a page's shadowed edge), and a doubtful level
the classifier may try (classify.second_opinion). Works on the lighting-flattened ink image
that edge_runtime/preprocess.py makes.
"""

import collections

import cv2
import numpy as np

from edge_runtime import blob_boxes, segment

# How cleanly the picture must split into ink and paper (the between-class share of the
# variance) for the threshold to follow it: more than one bell curve of grain splits, and
# more than the whole picture did, or this clean in itself. A page at an angle on a dark
# desk: the desk's even wedges split the whole at 0.90-0.97, the writing the rest at
# 0.73-0.89; blank generated pages' rests (rims, shadows, rulings) split at 0.64-0.74. The
# ranges overlap: at 0.75 a page whose writing splits at 0.73 keeps the desk's level.
ONE_BELL = 2 / np.pi
CLEAN_SPLIT = 0.75
# A page seen at an angle on a dark desk with faint pencil writing: its rest split at 0.73-0.74
# and the desk's level left 58-93 % of the writing under it (a real photo read 8 of 34 digits).
# Under a lamp to one side (light falling to 45 %) or overexposed (1.6 times as bright), real
# pages' faint writing split at 0.711-0.717 with 60-92 % of it under the first level (under
# the lamp one page read 5 of its 17 digits, overexposed one none of its 34).
# A split this clean is followed where the first level would lose most of the rest's ink but
# not all of it: the writing's darkest strokes reach the desk's level (7-42 % of it on the real
# pages), the grain and rims of a blank page's rest mostly do not (seed 0's blank pages 89
# and 163 split at 0.73 with all of it under the level). Not always: a blank ruled page of
# seed 3 (154) split at 0.726 with 8 % over it, took the lower level, and read no digit all
# the same. The fair split is within 0.011 of what it must follow (0.711 under the lamp);
# README, step 2, says what 0.70 changed against 0.72 on the generated sets.
FAIR_SPLIT = 0.70
MOST_LOST = 0.5
# A doubtful level's blobs, at most this many times the first level's: the real photos blurred
# by motion held 0.45-1.35 times as many there; blank, ruled and squared generated pages on a
# desk 2.5-32 times (paper grain breaks into specks); a generated page of "25" and letters
# blurred 9 pixels up and down 1.42 times, and read worse at that level.
FRAGMENTS = 1.4
ALL_LOST = 0.99  # "all" less a few pixels of a rim or a mark that reach the first level


def binarize(flat, min_threshold):
    """Otsu threshold on the flattened image, never below `min_threshold`.

    Otsu always splits the histogram in two, so on blank paper it would call noise ink;
    the floor keeps blank paper blank.
    """
    otsu, mask = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if otsu >= min_threshold:
        return mask, float(otsu)  # Otsu's own mask already is `flat > otsu`
    return mask_over(flat, min_threshold), float(min_threshold)


def mask_over(flat, level):
    """The pixels of `flat` over `level`, as a 0/255 mask."""
    return cv2.threshold(flat, float(level), 255, cv2.THRESH_BINARY)[1]


def ink_mask(flat, min_threshold):
    """(mask, level): ink_levels without the doubtful level."""
    return ink_levels(flat, min_threshold)[:2]


Levels = collections.namedtuple("Levels", ["mask", "level", "doubtful"])
Levels.__doc__ = """What of a flattened picture is ink: its mask, the level it was thresholded at, and
a lower level that may be the writing's though the threshold did not follow it (or None)."""


def ink_levels(flat, min_threshold):
    """Levels: Otsu's threshold, or a lower one found with the blobs that touch the picture's
    border left out, when they were what set it. A dark desk edge or the shadow along a page's
    edge is far stronger than thin ballpoint on paper: counted in, it drags Otsu's level above
    the writing, and a page photographed at half size, or slightly out of focus, read as
    empty. The picture without them must split into ink and paper more cleanly than the whole
    did and than one bell curve of grain would, or cleanly in itself (CLEAN_SPLIT), or fairly
    cleanly when the first level would lose most but not all of its ink (follows_rest); a
    blank page's rest does not (grain, soft shadows, the page's outline). A lower level not
    followed that may still be the writing's (may_be_writing) and does not break into specks
    there (holds_together) is the doubtful one: the classifier decides
    (classify.second_opinion)."""
    mask, level = binarize(flat, min_threshold)
    if min(flat.shape) < 4:  # all border: nothing is left to sample (OpenCV refuses a 1x1 mask)
        return Levels(mask, level, None)
    if not blob_boxes.ink_on_border(mask):
        return Levels(mask, level, None)
    sample, inside = sampled_away_from_border(flat, mask)
    whole = otsu_split(cv2.calcHist([sample], [0], None, [256], [0, 256]).ravel())
    rest_histogram = cv2.calcHist([sample], [0], inside, [256], [0, 256]).ravel()
    rest = otsu_split(rest_histogram)
    second = max(rest.level, min_threshold)
    if second >= level:
        return Levels(mask, level, None)
    lost = share_lost(rest_histogram, second, level)
    if not follows_rest(rest, whole, lost):
        doubtful = may_be_writing(rest, lost) and holds_together(flat, mask, second)
        return Levels(mask, level, second if doubtful else None)
    return Levels(mask_over(flat, second), second, None)


def may_be_writing(rest, lost):
    """Whether a level not followed may still be the writing's: the rest splits more cleanly
    than one bell curve of grain would, and the first level would lose most but not all of
    what it calls ink. Writing blurred by the camera's or the page's motion spreads over
    many tones: a real page on a desk, blurred 7 pixels sideways, split at 0.66 with 90 % of
    its writing under the desk's level (that page read as empty)."""
    return rest.separation > ONE_BELL and MOST_LOST < lost < ALL_LOST


def holds_together(flat, mask, lower):
    """Whether `flat` thresholded at the `lower` level holds at most FRAGMENTS times the blobs
    that `mask` holds: writing blurred by motion merges or grows there, paper grain breaks
    into specks."""
    return segment.blob_count(mask_over(flat, lower)) <= FRAGMENTS * segment.blob_count(mask)


def follows_rest(rest, whole, lost):
    """Whether the rest's level is to be followed: its split cleaner than one bell curve and
    than the whole picture's, or CLEAN_SPLIT in itself, or FAIR_SPLIT where the whole picture's
    level would lose more than MOST_LOST of what the rest calls ink but not all of it (`lost`,
    a share: writing loses part, a blank page's grain under a dark desk all)."""
    return (rest.separation > max(whole.separation, ONE_BELL) or rest.separation >= CLEAN_SPLIT
            or (rest.separation >= FAIR_SPLIT and MOST_LOST < lost < ALL_LOST))


def share_lost(histogram, second, level):
    """The share of the histogram's pixels above `second` that are not above `level`: what the
    rest calls ink that the first level would leave out (levels are whole grey levels)."""
    above = histogram[int(second) + 1:].sum()
    return float(histogram[int(second) + 1:int(level) + 1].sum() / above) if above > 0 else 0.0


def sampled_away_from_border(flat, mask):
    """(every other pixel of every other row of `flat`, 255 there where no blob touching the
    border lies): sample enough for a level, at a quarter of the cost. The blobs are found at
    full size: sampling first could cut the thin neck that joins one to the border."""
    return np.ascontiguousarray(flat[::2, ::2]), np.ascontiguousarray(blob_boxes.away_from_border(mask)[::2, ::2])


Split = collections.namedtuple("Split", ["level", "separation"])
Split.__doc__ = """Otsu's threshold of a histogram and how well it separates the two sides: the
between-class share of the variance (1 for two spikes, about 0.64 for one bell curve)."""


def otsu_split(histogram):
    """Otsu's threshold of a 256-bin histogram and its separation (cv2.threshold takes no mask)."""
    histogram = histogram.astype(np.float64)
    total = histogram.sum()
    if total == 0:
        return Split(0.0, 0.0)
    levels = np.arange(256, dtype=np.float64)
    weight, mass = np.cumsum(histogram)[:-1], np.cumsum(histogram * levels)
    mean = mass[-1] / total
    variance = float((histogram * (levels - mean) ** 2).sum()) / total
    share = weight / total
    between = (mean * share - mass[:-1] / total) ** 2 / np.maximum(share * (1 - share), 1e-12)
    between[(share <= 0) | (share >= 1)] = 0.0
    best = int(np.argmax(between))
    return Split(float(best), float(between[best]) / variance if variance > 0 else 0.0)
