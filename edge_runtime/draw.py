"""Annotate frames: digit boxes with label and confidence, the number read, and FPS."""

import cv2
import numpy as np

BOX_COLOUR = (0, 200, 0)      # BGR green
TEXT_COLOUR = (0, 0, 255)     # BGR red: readable on paper and on green boxes
LINE_COLOUR = (200, 60, 0)    # BGR blue: the text-line number under each box
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
    """Box and 'label score' over each digit, on a BGR copy of the frame; with several text
    lines, each box also gets its line number (L1, L2, ...) underneath."""
    canvas = as_bgr(frame)
    several_lines = any(getattr(digit, "line", 0) for digit in digits)
    scale = max(0.4, min(1.5, canvas.shape[0] / 800.0))
    thickness = max(1, round(2 * scale))
    for digit in digits:
        x, y, w, h = digit.box
        cv2.rectangle(canvas, (x, y), (x + w, y + h), BOX_COLOUR, thickness)
        text = f"{digit.label} {digit.score:.2f}"
        cv2.putText(canvas, text, (x, max(12, y - 6)), FONT, 0.6 * scale, TEXT_COLOUR, thickness, cv2.LINE_AA)
        if several_lines:
            cv2.putText(canvas, f"L{digit.line + 1}", (x, y + h + int(16 * scale)), FONT, 0.5 * scale,
                        LINE_COLOUR, thickness, cv2.LINE_AA)
    return canvas


def draw_status(canvas, number, fps):
    """Number read and frames per second in the top-left corner (draws in place)."""
    text = f"{number or '-'}  {fps:.1f} fps"
    cv2.putText(canvas, text, (8, 24), FONT, 0.7, TEXT_COLOUR, 2, cv2.LINE_AA)
    return canvas
