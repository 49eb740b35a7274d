"""Where a blob of touching digits may be cut: how many digits it could hold, and the
columns where they may part (the thinnest ink). Geometry only: which cut wins is the
classifier's call (edge_runtime/reading.py).
"""

import numpy as np

from edge_runtime import segment

# Touching digits stand closer than free ones are wide: on generated pages a run of touching
# digits took 0.51-0.68 of its height per digit, a digit alone 0.79 (so 0.65-0.86 of a lone
# digit's width). Counts are tried up to one more than the run's width over this share of a
# typical digit's width, a margin below the tightest measured.
TIGHTEST_PITCH = 0.5


def column_profile(own):
    """Ink per column of a region's own mask."""
    return own.sum(axis=0, dtype=np.int64)


def cut_positions(profile, pieces):
    """Columns that cut a run of `pieces` touching digits: the least-ink column near each
    evenly spaced cut, where touching strokes are thinnest."""
    width = len(profile)
    step = width / float(pieces)
    cuts = []
    for index in range(1, pieces):
        centre = int(round(index * step))
        low, high = max(1, centre - int(0.3 * step)), min(width - 1, centre + int(0.3 * step) + 1)
        cuts.append(low + int(np.argmin(profile[low:high])) if high > low else centre)
    return cuts


def pair_cuts(profile, tries=3):
    """Columns where two touching digits may part: the `tries` thinnest local minima of the ink
    profile between a fifth and four fifths of the width (a 1 beside a 6 parts off-centre)."""
    width = len(profile)
    low, high = max(1, width // 5), min(width - 1, width - width // 5)
    if high - low < 2:
        return [width // 2]
    window = profile[low - 1:high + 1].astype(np.float64)
    minima = [low + i for i in range(len(window) - 2) if window[i + 1] <= window[i] and window[i + 1] <= window[i + 2]]
    minima = minima or [low + int(np.argmin(profile[low:high]))]
    chosen = []
    for column in sorted(minima, key=lambda c: profile[c]):
        if all(abs(column - c) > width // 10 for c in chosen):
            chosen.append(column)
    return chosen[:tries]


def split_candidates(region, own, pieces):
    """Ways to cut a region into `pieces` touching digits: for two, one per likely parting
    column; for more, the least-ink column near each even share of the width."""
    profile = column_profile(own)
    if pieces == 2:
        cuts = [[column] for column in pair_cuts(profile)]
    else:
        cuts = [cut_positions(profile, pieces)]
    splits = [split_at(region, profile, columns) for columns in cuts]
    return [split for split in splits if split]


def split_region(region, own, pieces):
    """A region cut into `pieces` column ranges (the least-ink cuts near even shares), or None
    when a piece would hold no ink."""
    profile = column_profile(own)
    return split_at(region, profile, cut_positions(profile, pieces))


def split_at(region, profile, columns):
    """The region's ink cut at these columns into pieces, or None when a piece would be empty."""
    edges = [0, *columns, len(profile)]
    parts = []
    for start, stop in zip(edges[:-1], edges[1:]):
        if stop <= start or profile[start:stop].sum() == 0:
            return None
        parts.append(segment.Region(region.box, region.ids, (start, stop)))
    return parts


def piece_counts(box, options, typical_aspect=None):
    """How many digits a region of this shape could hold: 1 when narrow, a few guesses when
    wide, from one fewer than its width over a typical digit's (`typical_aspect`, width /
    height) to one more than the tightest run of touching digits would hold."""
    x, y, w, h = box[:4]
    aspect = w / float(h)
    if aspect < options.split_aspect:
        return [1]
    typical = typical_aspect or options.typical_aspect
    estimate = min(options.max_pieces, max(1, int(round(aspect / typical))))
    tightest = int(round(aspect / (TIGHTEST_PITCH * typical)))
    most = min(options.max_pieces, max(estimate, tightest) + 1)
    counts = {max(1, estimate - 1), *range(estimate, most + 1)}
    if aspect > options.max_aspect:
        counts.discard(1)
    return sorted(counts)
