"""Write frames to a video file: the benchmark's camera-loop input, and the tests' videos."""

import cv2


def write_video(path, frames, fps=30, fourcc="MJPG"):
    """Write BGR (or gray) uint8 frames of one size to `path`; returns how many were written.

    MJPG in an .avi is the codec every OpenCV build can both write and read back.
    """
    writer = None
    count = 0
    try:
        for count, frame in enumerate(frames, start=1):
            if writer is None:
                writer = open_writer(path, frame, fps, fourcc)
            writer.write(frame)
    finally:
        if writer is not None:
            writer.release()
    return count


def open_writer(path, first_frame, fps, fourcc):
    height, width = first_frame.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (width, height),
                             first_frame.ndim == 3)
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {path} (no {fourcc} encoder)")
    return writer
