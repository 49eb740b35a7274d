"""Take cast shadows out of the ink: a hand's, a phone's or a lamp arm's shadow on the page.

The lighting correction (preprocess.flatten_background) subtracts a background estimated with
a kernel a sixth of the picture wide, so that no stroke, however bold, is taken for paper. A
shadow narrower than that kernel (its edge, the wedge of a phone's shadow, a pen's) stays in
the flattened ink above the threshold: one thick blob that swallows the digits it crosses,
read as one big digit or dropped as too wide.

Such a blob is several times thicker than the picture's strokes and, unlike a bold digit, no
darker than its writing. Inside its box the background is estimated again with a kernel a few
strokes wide: the shadow goes with the paper, the digits in it stay.

A digit held up to the camera or written large with a marker has strokes about as thick as
a hand's shadow across it, and may be the only blob, with no other writing to compare with.
There the ink's darkness tells them apart, and is looked at first: when the ink falls cleanly
into a dark tone and a faint one, and the dark one holds such writing, the faint tone's broad
parts that come in from the picture's border and cross it are the shadow (shadow_by_tone),
and are cleared, with any writing as faint as the shadow inside it. Only in the working look:
in the close-up look (preprocess.close_up) a blurred digit's own faint foot ran into a soft
shadow's faint tone and went with it.
"""

import cv2
import numpy as np

from edge_runtime import blob_boxes, segment

SAMPLE = 4  # the cheap test looks at every fourth pixel of every fourth row
SQUARE = segment.SQUARE
# A shadow's widest point lies at least this many times as far from its edge as a typical
# stroke's does (measured on generated pages: shadows 4.6-20 times; bold or big digits beside
# smaller writing 3.1-19 times, which FAINTER keeps), and more than MIN_HALF_WIDTH pixels: the
# cheap look opens only for ink about 25 pixels across or more (three erosions of the sample
# at the least), so narrower shadows (a pen's) are left as they are.
THICKER = 3.0
MIN_HALF_WIDTH = 12.0
# ...and its ink, on average, under this many times the other blobs' (a bold digit is at least
# as dark as the writing around it: 1.3-2.0 times on generated pages). A shadow is fainter
# than marker or ballpoint (0.36-0.89 on generated pages), but over fine pencil about as dark
# (a band with 55 % of the light over the real photos: 0.53-1.14).
FAINTER = 1.2
KERNEL_STROKES = 3.0  # the local background's kernel, in stroke widths: wider than where strokes cross
MIN_BLOB_AREA = 30    # pixels; smaller blobs are specks, no measure of the strokes
# The ink is two-toned when Otsu splits it at least this cleanly (the real photos' marker
# digits and webcam rows under a band with 55 % of the light: 0.84-0.96, and a big 1 at 0.77,
# read right without; shadows fading softly across generated pages split at 0.62-0.67 into a
# darker and a fainter part of the same shadow)...
TWO_TONES = 0.8
# ...and its faint tone is on average under this share of its dark tone (that band over those
# photos: 0.41-0.52).
FAINT_TONE = 0.6
# Of the ink at least: a shadow is broad, the soft rims of strokes are not. (Also keeps both
# tones non-empty for two_toned's means.)
FAINT_SHARE = 0.2
SPAN = 0.5  # of the picture's width or height: a shadow cast by a hand or a phone crosses the picture
# A shadow is broader than MIN_HALF_WIDTH somewhere: in the sample, ink that survives this
# many erosions by a 3x3 square (a little less broad, the sample's pixels being coarse).
BROAD_EROSIONS = int(MIN_HALF_WIDTH // SAMPLE) - 1
PROMINENT = 0.3  # of the picture's width or height: writing the camera was pointed at (as acceptance.DOMINANT)


def without_shadows(ink, flat, mask, level, by_tone=True):
    """(flat, mask) with cast shadows taken out: with `by_tone`, a shadow told from the writing
    by its tone (shadow_by_tone) cleared; else each thick, faint blob (shadow_blobs) flattened
    again by its own background and thresholded at `level`. New arrays, or the inputs
    themselves when there is no shadow (most frames: cheap looks decide)."""
    sample = sampled(mask)
    shadow = shadow_by_tone(flat, mask, level, sample) if by_tone else None
    if shadow is not None:
        flat, mask = flat.copy(), mask.copy()
        flat[shadow > 0] = 0
        mask[shadow > 0] = 0
        return flat, mask
    found = shadow_blobs(flat, mask, sample)
    if found is None:
        return flat, mask
    labels, stats, blobs, stroke = found
    flat, mask = flat.copy(), mask.copy()
    side = int(KERNEL_STROKES * 2 * stroke) | 1
    for label in blobs:
        reflatten(ink, flat, mask, labels, stats[label], label, side, level)
    return flat, mask


def sampled(mask):
    """Every SAMPLE-th pixel of every SAMPLE-th row, for the cheap looks."""
    return np.ascontiguousarray(mask[::SAMPLE, ::SAMPLE])


def shadow_blobs(flat, mask, sample):
    """(labels, stats, the shadow blobs' labels, the writing's stroke half-width) when some
    blobs are THICKER times as thick as the writing and fainter than it, else None. A picture
    of one blob has no writing to compare it with. `sample`: the mask sampled."""
    if not has_thick_ink(sample):
        return None
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    distance = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    sized = [label for label in range(1, count) if stats[label, cv2.CC_STAT_AREA] >= MIN_BLOB_AREA]
    if len(sized) < 2:
        return None
    widest = {label: half_width(distance, labels, stats[label], label) for label in sized}
    stroke = lower_middle(widest.values())
    thick = [label for label in sized if widest[label] > max(THICKER * stroke, MIN_HALF_WIDTH)]
    blobs = fainter_than_writing(flat, labels, stats, thick, [label for label in sized if label not in thick])
    return (labels, stats, blobs, stroke) if blobs else None


def shadow_by_tone(flat, mask, level, sample):
    """255 on a shadow told from the writing by its tone, or None: the broad parts of the
    ink's faint tone (broad_faint_tone), when the ink falls cleanly into two tones, both ink
    (over `level`), and the dark one holds writing the camera was pointed at
    (holds_prominent_writing). Cheap looks decide first: the shadow reaches the border
    (broad_faint_tone), so ink must lie there (most camera frames end here, the example
    frame's marker digits too), and be as broad as a shadow in the mask's `sample`."""
    if not blob_boxes.ink_on_border(mask):
        return None
    if not cv2.countNonZero(cv2.erode(sample, SQUARE, iterations=BROAD_EROSIONS)):
        return None  # no ink as broad as a shadow: frames of ballpoint or pencil end here
    between = two_toned(flat[::SAMPLE, ::SAMPLE], sample, level)
    if between is None:
        return None
    if not holds_prominent_writing(cv2.bitwise_and(cv2.compare(flat, between, cv2.CMP_GT), mask)):
        return None
    shadow = broad_faint_tone(flat, mask, between)
    return shadow if cv2.countNonZero(shadow) else None


def holds_prominent_writing(dark):
    """Whether a blob of the dark tone, clear of the picture's border, spans PROMINENT of its
    width or height: a digit held up or written large. A desk's darker grain, which the
    faint tone would otherwise leave as specks, is small or runs to the border."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(dark)
    return any(not blob_boxes.touches_border(box, dark.shape, 1) and blob_boxes.spans(box, dark.shape, PROMINENT)
               for box in stats[1:])


def two_toned(flat, mask, level):
    """The level between the ink's dark and faint tones (Otsu's, of the ink alone) when it
    falls cleanly into the two (TWO_TONES, FAINT_TONE, FAINT_SHARE) and the faint one is ink
    too, over the threshold `level` on average (not the soft rims the mask's blur takes in),
    else None. OpenCV's sums and counts: it runs on every frame with broad ink (marker)."""
    values = flat[mask > 0]
    if values.size < MIN_BLOB_AREA:
        return None
    between, dark = cv2.threshold(values, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    dark_count = cv2.countNonZero(dark)
    share = 1.0 - dark_count / values.size  # the faint tone's
    if not FAINT_SHARE <= share < 1.0:
        return None
    dark_sum = cv2.sumElems(cv2.bitwise_and(values, dark))[0]
    faint_mean = (cv2.sumElems(values)[0] - dark_sum) / (values.size - dark_count)
    dark_mean = dark_sum / dark_count
    if not level < faint_mean < FAINT_TONE * dark_mean:
        return None
    separation = share * (1.0 - share) * (dark_mean - faint_mean) ** 2 / float(values.var())
    return between if separation >= TWO_TONES else None


def broad_faint_tone(flat, mask, level):
    """255 on the faint tone's blobs (ink at or under `level`) that span SPAN of the picture
    from its border and lie more than MIN_HALF_WIDTH from their edge somewhere (about 25
    pixels across; a blob along the border measures broader). A shadow cast by a hand, a
    phone or a lamp's arm comes in from outside the picture. A big digit in a fainter ink
    (grey, green, light blue beside black: 0.48-0.58 as dark) is as broad and faint, but lies
    inside it; cut by the frame's edge, it is taken for a shadow. A shadow that ends inside
    the picture (on the page, its part on a darker desk lost in the desk's tone) is left to
    the thickness test: told where it runs into the writing instead, the strokes under a
    band wider than the lighting correction, as faint as the shadow, went with it."""
    faint = cv2.bitwise_and(cv2.compare(flat, level, cv2.CMP_LE), mask)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(faint)
    cast = [label for label in range(1, count)
            if blob_boxes.touches_border(stats[label], mask.shape, 1)
            and blob_boxes.spans(stats[label], mask.shape, SPAN)]
    shadow = np.zeros_like(mask)
    if not cast:
        return shadow
    distance = cv2.distanceTransform(faint, cv2.DIST_L2, 3)
    for label in cast:
        if half_width(distance, labels, stats[label], label) > MIN_HALF_WIDTH:
            shadow[labels == label] = 255
    return shadow


def lower_middle(values):
    """The lower median: of two blobs, a shadow and a digit, the digit's stroke (the median,
    their mean, would never let one be three times the other)."""
    ranked = sorted(values)
    return float(ranked[(len(ranked) - 1) // 2])


def has_thick_ink(sample):
    """A cheap look for ink THICKER times as thick as the writing, on the mask's `sample`
    (every SAMPLE-th pixel of every SAMPLE-th row). The writing's thickness: how many
    erosions leave at most half of the ink that does not touch the border (a shadow or a desk
    reaching in from the border can outweigh the writing), one at the least. Some ink must
    then survive THICKER times as many; only then is the full test worth its cost. An erosion
    leaves an all-ink sample as it is (OpenCV pads with ink), so they are counted only up to
    half the sample's shorter side: from there no ink could survive THICKER times as many
    anyway."""
    inner = cv2.bitwise_and(sample, blob_boxes.away_from_border(sample)) if blob_boxes.ink_on_border(sample) else sample
    core = inner if cv2.countNonZero(inner) else sample
    ink, strokes, most = cv2.countNonZero(core), 0, min(sample.shape) // 2
    while ink and strokes <= most and cv2.countNonZero(core) * 2 > ink:
        core = cv2.erode(core, SQUARE)
        strokes += 1
    deep = int(THICKER * strokes)  # erosions by a 3x3 square: one by a (2 deep + 1) square
    return bool(ink) and min(sample.shape) > 2 * deep + 1 and cv2.erode(sample, SQUARE, iterations=deep).any()


def own_pixels(labels, stats, label, pad=0):
    """The blob's pixels within its (widened) box, as an OpenCV mask."""
    return cv2.compare(labels[blob_boxes.window(stats, labels.shape, pad)], int(label), cv2.CMP_EQ)


def half_width(distance, labels, stats, label):
    """How far the blob's innermost pixel lies from its edge (a blob on the picture's border
    measures thicker: the distance runs on past the border)."""
    return cv2.minMaxLoc(distance[blob_boxes.window(stats, labels.shape)], own_pixels(labels, stats, label))[1]


def fainter_than_writing(flat, labels, stats, thick, others):
    """The thick blobs whose flattened ink is on average under FAINTER times the other blobs'
    (those weighed on every other pixel of every other row: a quarter of the cost)."""
    if not thick or not others:
        return []
    lookup = np.zeros(len(stats), np.uint8)
    lookup[others] = 255
    writing = cv2.mean(flat[::2, ::2], mask=lookup[labels[::2, ::2]])[0]
    return [label for label in thick if mean_ink(flat, labels, stats[label], label) < FAINTER * writing]


def mean_ink(flat, labels, stats, label):
    """The blob's mean flattened ink."""
    return cv2.mean(flat[blob_boxes.window(stats, labels.shape)], mask=own_pixels(labels, stats, label))[0]


def reflatten(ink, flat, mask, labels, stats, label, side, level):
    """The blob's pixels, in flat and mask (changed in place), from a background estimated
    around it with a kernel `side` wide: the shadow is wider than that and goes, strokes in it
    stay."""
    rows, columns = blob_boxes.window(stats, mask.shape, pad=side)
    part = ink[rows, columns]
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    local = cv2.subtract(part, cv2.morphologyEx(part, cv2.MORPH_OPEN, kernel))
    own = own_pixels(labels, stats, label, pad=side) > 0
    flat[rows, columns][own] = local[own]
    mask[rows, columns][own] = np.where(cv2.GaussianBlur(local, (3, 3), 0)[own] > level, 255, 0)
