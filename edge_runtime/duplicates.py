"""Near-duplicate digits between the frames of one source: a still camera shows the same digit
in every frame, and `mnist-edge collect` should save it once."""

import collections

import cv2
import numpy as np

from edge_runtime.synthetic import box_iou

# A near-duplicate: same label, boxes overlapping this much, and crops this close: the mean
# absolute difference, in grey levels, of the 28x28 crops blurred (sigma 2) so that pixel
# flicker from sensor noise and binarisation counts for little. Measured on 40 generated
# photos, each a still, noisy (sigma 4) MJPG video: a digit's crops stayed within 7.8 of each
# other from frame to frame; crops of two different writers' digits of one label were within
# 8 in 6 % of pairs, and would also have to sit at the same spot a moment apart.
DUPLICATE_IOU = 0.6
DUPLICATE_DIFFERENCE = 8.0
DUPLICATE_BLUR_SIGMA = 2.0
# ...compared with each digit as last seen within this many processed frames (a digit that
# flickers out of a reading for a few frames is not new when it comes back).
DUPLICATE_MEMORY_FRAMES = 30


def crop_signature(image):
    """A 28x28 crop blurred, as int16: what near-duplicates are compared by."""
    return cv2.GaussianBlur(image, (0, 0), DUPLICATE_BLUR_SIGMA).astype(np.int16)


def signature_difference(a, b):
    """Mean absolute difference of two crop signatures, in grey levels."""
    return float(np.abs(a - b).mean())


Sighting = collections.namedtuple("Sighting", ["label", "box", "signature", "frame"])
Sighting.__doc__ = "A digit as last seen: label, box, crop signature and frame index."


class RecentCrops:
    """The digits of one source seen lately, each as it looked when last seen: a digit that
    stays in view is followed from frame to frame and saved once, however long it stays."""

    def __init__(self, memory=DUPLICATE_MEMORY_FRAMES):
        self.memory, self.sightings = memory, []

    def is_duplicate(self, digit, frame):
        """True when `digit` matches a recent sighting; either way it becomes the latest one."""
        seen = Sighting(digit.label, digit.box, crop_signature(digit.image), frame)
        recent = [s for s in self.sightings if frame - s.frame <= self.memory]
        match = next((i for i, s in enumerate(recent) if is_near_duplicate(s, seen)), None)
        if match is None:
            recent.append(seen)
        else:
            recent[match] = seen
        self.sightings = recent
        return match is not None


def is_near_duplicate(earlier, later):
    return (earlier.label == later.label and box_iou(earlier.box, later.box) >= DUPLICATE_IOU
            and signature_difference(earlier.signature, later.signature) <= DUPLICATE_DIFFERENCE)
