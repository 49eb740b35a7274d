"""Thin argparse layers over the runtime: `mnist-edge classify`, `camera`, `collect` and `benchmark`.

Library code raises UserInputError/ModelError; only this module turns them into one-line
messages and exit codes (0 ok, 1 an input or the model failed, 2 bad command-line usage).
"""

import argparse
import sys

import cv2

from edge_runtime import classify, mqtt, output, sources
from edge_runtime.errors import OutputError, UserInputError, first_line, run_command
from edge_runtime.interpreter import BACKENDS
from edge_runtime.model import MAX_THREADS, SHIPPED_MODEL

DEFAULT_MODEL = SHIPPED_MODEL


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def thread_count(text):
    value = int(text)
    if not 1 <= value <= MAX_THREADS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_THREADS}, got {value}")
    return value


def positive_number(text):
    value = float(text)
    if not value > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def probability(text):
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def add_model_arguments(parser, with_json=True):
    parser.add_argument("--model", default=str(DEFAULT_MODEL),
                        help="a .tflite digit model (default: the int8 model shipped with mnist-edge)")
    parser.add_argument("--backend", default="auto", choices=["auto", *BACKENDS],
                        help="interpreter package (default: the first one installed)")
    parser.add_argument("--threads", type=thread_count, default=1,
                        help=f"interpreter threads, 1 to {MAX_THREADS} (default 1)")
    parser.add_argument("--min-score", type=probability, default=classify.DEFAULT_MIN_SCORE,
                        help="reject digits whose best class probability is lower (default %(default)s)")
    if with_json:
        parser.add_argument("--json", action="store_true", help="print one JSON object per line")


def load_model(arguments):
    """The DigitModel, built once per process; ModelError names the file on failure."""
    from edge_runtime.model import DigitModel
    return DigitModel(arguments.model, arguments.backend, arguments.threads)


def without_source(message, source):
    """'photo.png: empty file' -> 'empty file' when the JSON already names the source."""
    prefix = f"{source}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def emit(record, as_json):
    """Print a result or error record as a JSON line or a short human line."""
    if as_json:
        output.write_line(sys.stdout, output.json_record(record))
    elif "error" in record:
        print(f"mnist-edge classify: error: {output.human_line(record)}", file=sys.stderr, flush=True)
    else:
        output.write_line(sys.stdout, output.human_line(record))


def classify_video(model, path, min_score):
    """One record per frame of a video file."""
    capture = sources.open_capture(path)
    frames = 0
    try:
        for frames, frame in enumerate(sources.read_frames(capture, live=False), start=1):
            yield classify.to_record(path, classify.classify_image(model, frame, min_score), frame=frames - 1)
    finally:
        capture.release()
    if frames == 0:
        raise UserInputError(f"{path}: video has no readable frames")


def classify_source(model, source, min_score):
    """Records for one input file (one for an image, one per frame for a video)."""
    if sources.is_video(source):
        yield from classify_video(model, source, min_score)
        return
    yield classify.to_record(source, classify.classify_file(model, source, min_score))


def classify_main(argv):
    parser = argparse.ArgumentParser(prog="mnist-edge classify",
                                     description="Classify handwritten digits in images, folders, globs and videos.")
    add_model_arguments(parser)
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image or video files, folders, globs")
    return run_command("mnist-edge classify", classify_inputs, parser.parse_args(argv))


def classify_inputs(arguments):
    """Each input in turn; a bad one is reported and the others still processed."""
    model = load_model(arguments)
    failed = False
    for source, problem in sources.expand_inputs(arguments.inputs):
        try:
            if problem:
                raise UserInputError(problem)
            for record in classify_source(model, source, arguments.min_score):
                emit(record, arguments.json)
        except OutputError:
            raise  # stdout itself failed: no other input can be reported either
        except (UserInputError, ValueError) as error:
            failed = True
            emit(classify.error_record(source, without_source(str(error), source)), arguments.json)
        except cv2.error as error:  # backstop: an image OpenCV cannot process is that input's error
            failed = True
            emit(classify.error_record(source, f"image processing failed (OpenCV: {first_line(error)})"),
                 arguments.json)
    return 1 if failed else 0


def add_camera_arguments(parser):
    """The options of the camera loop, shared by `camera` and `serve` (one loop, one set)."""
    add_model_arguments(parser)
    parser.add_argument("--source", required=True,
                        help="camera index (0), 'picamera' for the Raspberry Pi camera, or a video file/URL")
    parser.add_argument("--headless", action="store_true", help="no window at all (SSH, services)")
    parser.add_argument("--save-dir", help="save annotated frames and 28x28 crops when the reading changes")
    parser.add_argument("--save-limit-mb", type=positive_number, default=100,
                        help="keep --save-dir under this many MB, removing the oldest snapshots first "
                             "(default %(default)s)")
    parser.add_argument("--max-frames", type=positive_int, help="stop after this many frames")
    mqtt.add_arguments(parser)


def camera_main(argv):
    parser = argparse.ArgumentParser(prog="mnist-edge camera",
                                     description="Classify digits live from a camera or a video stream.")
    add_camera_arguments(parser)
    return run_command("mnist-edge camera", run_camera_command, parser.parse_args(argv))


def camera_options(arguments, **changes):
    """CameraOptions from the parsed camera arguments, with `changes` on top."""
    from edge_runtime import camera
    settings = dict(headless=arguments.headless, json=arguments.json, save_dir=arguments.save_dir,
                    min_score=arguments.min_score, max_frames=arguments.max_frames,
                    save_limit_bytes=int(arguments.save_limit_mb * 1_000_000))
    return camera.CameraOptions(**dict(settings, **changes))


def run_camera_command(arguments):
    from edge_runtime import camera
    publisher = mqtt.publisher_from_arguments(arguments)  # before the model: a bad option fails fast
    model = load_model(arguments)
    options = camera_options(arguments)
    capture = sources.open_capture(arguments.source)
    summary = run_loop(lambda listeners: camera.run_camera(model, capture, arguments.source, options,
                                                           live=sources.is_live(arguments.source),
                                                           listeners=listeners), arguments, publisher)
    print_summary("mnist-edge camera", summary)
    return 0


def run_loop(run, arguments, publisher):
    """run(listeners), the camera loop of `camera` or `serve`, with the MQTT publisher (if any)
    listening; a disk error while saving snapshots becomes a one-line user error."""
    try:
        return run([publisher.start()] if publisher else [])
    except BrokenPipeError:
        raise  # the reader of --json went away (`| head -1`): run_command ends quietly
    except OSError as error:  # e.g. --save-dir on a full or read-only disk
        raise UserInputError(f"{error.filename or arguments.save_dir}: {error.strerror or error}") from None


def print_summary(prog, summary):
    """The loop's last line on stderr (the journal, under systemd)."""
    rate = summary.frames / summary.seconds if summary.seconds > 0 else 0.0
    print(f"{prog}: {summary.frames} frames in {summary.seconds:.1f} s ({rate:.1f} fps), "
          f"stopped: {summary.stopped_by}", file=sys.stderr, flush=True)


def collect_main(argv):
    from edge_runtime import collect
    parser = argparse.ArgumentParser(
        prog="mnist-edge collect",
        description="Save every digit read from a camera, videos, images or folders as a 28x28 crop in "
                    "OUT/<label>/ (low scores in OUT/unsure/, full-resolution cuts in OUT/originals/); "
                    "fix labels by moving files between folders, then train on them with --extra OUT.")
    add_model_arguments(parser, with_json=False)
    parser.add_argument("--source", required=True, nargs="+", metavar="SOURCE",
                        help="camera index (0), 'picamera', video files, image files, folders or globs")
    parser.add_argument("--out", required=True, help="folder of crops, one subfolder per label (made if needed)")
    parser.add_argument("--unsure-below", type=probability, default=collect.DEFAULT_UNSURE_BELOW,
                        help="crops scored lower go to OUT/unsure/ (default %(default)s)")
    parser.add_argument("--every", type=positive_int, default=1,
                        help="read every Nth frame of a video or camera (default 1: all)")
    parser.add_argument("--max-frames", type=positive_int, help="stop after this many frames, all sources together")
    return run_command("mnist-edge collect", run_collect_command, parser.parse_args(argv))


def run_collect_command(arguments):
    from edge_runtime import collect
    collect.prepare_out(arguments.out)  # a file in the way is refused before the model loads
    options = collect.CollectOptions(arguments.unsure_below, arguments.min_score, arguments.every,
                                     arguments.max_frames)
    total, failed, stopped_by = collect.collect_inputs(load_model(arguments), sources.expand_inputs(arguments.source),
                                                       arguments.out, options, report_collected)
    print(f"mnist-edge collect: {count(total.saved, 'crop')} saved in {output.printable(arguments.out)} "
          f"({total.unsure} unsure) from {count(total.frames, 'frame')}, {total.duplicates} near-duplicates skipped; "
          f"stopped: {stopped_by}", file=sys.stderr)
    return 1 if failed else 0


def count(number, noun):
    return f"{number} {noun}{'' if number == 1 else 's'}"


def report_collected(source, tally, error):
    """One line per source: what it gave on stdout, or its error on stderr."""
    if error:
        print(f"mnist-edge collect: error: {output.printable(error)}", file=sys.stderr, flush=True)
        return
    existing = f", {tally.existing} already in the folder" if tally.existing else ""
    output.write_line(sys.stdout, f"{output.printable(str(source))}: {count(tally.frames, 'frame')}, "
                                  f"{count(tally.saved, 'crop')} saved "
                                  f"({tally.unsure} unsure), {tally.duplicates} near-duplicates skipped{existing}")


def benchmark_main(argv):
    from edge_runtime import benchmark
    return benchmark.main(argv)
