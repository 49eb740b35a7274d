"""Annotate frames: digit boxes with label and confidence, the number read, and FPS."""

import cv2
import numpy as np

BOX_COLOUR = (0, 200, 0)      # BGR green
TEXT_COLOUR = (0, 0, 255)     # BGR red: readable on paper and on green boxes
FONT = cv2.FONT_HERSHEY_SIMPLEX


def as_bgr(frame):
    """A colour copy to draw on; the caller's frame is never modified."""
    pixels = np.asarray(frame)
    if pixels.ndim == 2:
        return cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR)
    if pixels.shape[2] == 4:
        return cv2.cvtColor(pixels, cv2.COLOR_BGRA2BGR)
    return pixels.copy()


def draw_digits(frame, digits):
    """Box and 'label score' over each digit, on a BGR copy of the frame."""
    canvas = as_bgr(frame)
    for digit in digits:
        x, y, w, h = digit.box
        cv2.rectangle(canvas, (x, y), (x + w, y + h), BOX_COLOUR, 2)
        text = f"{digit.label} {digit.score:.2f}"
        cv2.putText(canvas, text, (x, max(12, y - 6)), FONT, 0.6, TEXT_COLOUR, 2, cv2.LINE_AA)
    return canvas


def draw_status(canvas, number, fps):
    """Number read and frames per second in the top-left corner (draws in place)."""
    text = f"{number or '-'}  {fps:.1f} fps"
    cv2.putText(canvas, text, (8, 24), FONT, 0.7, TEXT_COLOUR, 2, cv2.LINE_AA)
    return canvas
