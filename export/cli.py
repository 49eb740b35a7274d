"""`mnist-edge export`, `compare` and `pipeline`: thin argparse layers over export/ and train/."""

import argparse
import os
from pathlib import Path

# Keep TensorFlow's C++ start-up chatter out of the user's terminal unless asked for.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from edge_runtime.errors import UserInputError, run_command
from mnist_edge.train.cli import add_data_argument, add_extra_arguments, add_training_arguments, config_from_arguments
from mnist_edge.train.cli import load_data as load_training_data
from mnist_edge.train.training import MODEL_NAME

GATE_FAILED = 3


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_export_arguments(parser):
    parser.add_argument("--representative-size", type=positive_int, default=500,
                        help="training images used to calibrate the int8 model")
    parser.add_argument("--variants", nargs="+", default=None,
                        help="subset of: float32 float16 dynamic_range int8 (default: all)")


def add_compare_arguments(parser):
    parser.add_argument("--budget", type=float, default=0.5,
                        help="fail when int8 accuracy is more than this many points below Keras")


def add_model_arguments(parser, what):
    """--model and what a model trained anywhere needs said about it."""
    parser.add_argument("--model", metavar="PATH", help=f"{what} this model instead of --out's model.keras: "
                        "a .keras file (loaded in safe mode) or a SavedModel folder, 28x28 grayscale -> N classes")
    parser.add_argument("--labels", help="the model's class names in output order, comma-separated or a file "
                        "with one per line (default 0-9, for 10 outputs)")
    parser.add_argument("--input-scale", type=float, default=1.0, choices=(1.0, 255.0),
                        help="the model's input range: 1 for pixels in [0, 1] (default), 255 for [0, 255]")


def source_model(arguments):
    """The model to export or compare: --model with its labels and scaling, else --out's model.keras."""
    from mnist_edge.export.exporter import keras_source
    from mnist_edge.export.own_model import load_source_model, parse_labels

    if not arguments.model:
        if arguments.labels or arguments.input_scale != 1.0:
            raise UserInputError("--labels and --input-scale describe a --model; give one")
        return keras_source(Path(arguments.out) / MODEL_NAME)
    return load_source_model(arguments.model, parse_labels(arguments.labels), arguments.input_scale)


def load_data(arguments, source=None):
    """--data and --extra read for the model's labels; MNIST only for a model of the ten digits."""
    labels = source.labels if source is not None else None
    data = load_training_data(arguments, labels)
    if source is not None and data.folder is None and len(source.labels) != 10:
        raise UserInputError(f"{source.path}: a model of {len(source.labels)} classes cannot be tested on MNIST's "
                             "ten digits; pass --data DIR, a folder of pictures of its classes")
    return data


def add_against_argument(parser):
    parser.add_argument("--against", help="another run's folder (e.g. --arch seed): its models are "
                        "compared too and the report shows both architectures side by side")


def export_settings(arguments):
    from mnist_edge.export.convert import VARIANTS
    from mnist_edge.export.exporter import ExportSettings

    variants = tuple(arguments.variants or VARIANTS)
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        raise UserInputError(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    return ExportSettings(variants=variants, representative_size=arguments.representative_size)


def run_export(arguments, data, source=None):
    from mnist_edge.export.exporter import export_all

    out_dir = Path(arguments.out)
    return export_all(source or out_dir / MODEL_NAME, out_dir, data, export_settings(arguments))


def make_progress(variant):
    """A tqdm bar over the test set, shown only on a terminal."""
    from tqdm import tqdm

    return lambda iterable: tqdm(iterable, desc=f"{variant:>13}", unit="img", leave=False, disable=None)


def before_model(arguments, source):
    """The model fine-tuned from: --before, else the one history.json names if it is unchanged."""
    import json

    from mnist_edge.export.own_model import load_source_model, sha256_of_path

    if getattr(arguments, "before", None):
        return load_source_model(arguments.before, source.labels, source.input_scale)
    history = source.path.with_name("history.json")
    if not (source.path.is_file() and history.is_file()):
        return None
    recorded = json.loads(history.read_text(encoding="utf-8")).get("finetuned_from")
    if not recorded or not Path(recorded["file"]).is_file() or sha256_of_path(recorded["file"]) != recorded["sha256"]:
        return None
    return load_source_model(recorded["file"], source.labels, source.input_scale)


def update_sidecars(result, out_dir):
    """Record the measured accuracy in each exported model's sidecar."""
    from mnist_edge.export import sidecars
    from mnist_edge.export.exporter import model_filename

    held_out = result.get("user_held_out", {})
    for variant, record in result["models"].items():
        if variant in ("keras", "before"):
            continue
        fields = {"test_accuracy": {
            "accuracy": record["accuracy"], "agreement_with_keras": record["agreement_with_keras"],
            "keras_accuracy": result["models"]["keras"]["accuracy"], "test_samples": result["test_samples"],
            "test_set": result["test_set"]}}
        if variant in held_out.get("models", {}):
            fields["user_held_out_accuracy"] = {"accuracy": held_out["models"][variant]["accuracy"],
                                                "images": held_out["images"], "sha256": held_out["sha256"]}
        sidecars.update_sidecar(out_dir / model_filename(variant), **fields)


def run_compare(arguments, data, source=None):
    """Compare, write report.json/.md/.png, print the table; return the exit status (gate)."""
    from mnist_edge.export import compare, report, report_plot
    from mnist_edge.export.exporter import keras_source

    out_dir = Path(arguments.out)
    source = source or keras_source(out_dir / MODEL_NAME)
    result = compare.compare(source, source.path, out_dir, data, make_progress, before=before_model(arguments, source))
    result["architecture"] = compare.architecture_of(source.path)
    if getattr(arguments, "against", None):
        add_side_by_side(result, Path(arguments.against), data)
    passed = compare.apply_gate(result, arguments.budget)
    update_sidecars(result, out_dir)
    report.write_reports(result, out_dir)
    report_plot.plot_report(result, out_dir / "report.png")
    written = "report.json, report.md, report.png"
    changed = result.get("user_held_out", {}).get("changed")
    if changed and changed["images"]:
        report_plot.plot_changes(changed, data.user_held_out()[0], out_dir / "report_changes.png")
        written += ", report_changes.png"
    print(report.format_table(report.summary_rows(result), report.summary_header(result)))
    if result.get("user_held_out", {}).get("same_as_training") is False:
        print("note: these held-out pictures differ from those the model's training held out (history.json); "
              "some may have been trained on: pass the --extra/--data, --holdout and --split-seed of training")
    print_side_by_side(result)
    print(f"wrote {out_dir}/{written}")
    if not passed:
        print(f"mnist-edge: deployment gate failed: int8 is {result['gate']['int8_drop_points']} points "
              f"below Keras (budget {arguments.budget})")
        return GATE_FAILED
    return 0


def add_side_by_side(result, other_dir, data):
    """Compare the other run's models the same way and record both architectures' figures."""
    from mnist_edge.export import compare
    from mnist_edge.export.exporter import load_keras_model

    keras_path = other_dir / MODEL_NAME
    other = compare.compare(load_keras_model(keras_path), keras_path, other_dir, data, make_progress)
    other_arch = compare.architecture_of(keras_path)
    if other_arch == result["architecture"]:
        other_arch = f"{other_arch} ({other_dir.name})"
    result["side_by_side"] = compare.side_by_side({result["architecture"]: result, other_arch: other})


def print_side_by_side(result):
    from mnist_edge.export import report

    if "side_by_side" in result:
        print(report.format_table(report.side_by_side_rows(result), report.SIDE_BY_SIDE_HEADER))


def export_body(arguments):
    export_settings(arguments)  # an unknown --variants name stops before any model is loaded
    source = source_model(arguments)
    run_export(arguments, load_data(arguments, source), source)
    return 0


def compare_body(arguments):
    source = source_model(arguments)
    return run_compare(arguments, load_data(arguments, source), source)


def pipeline_body(arguments):
    from mnist_edge.train.cli import make_progress_factory
    from mnist_edge.train.training import train

    data = load_data(arguments)
    print("== train")
    train(data, config_from_arguments(arguments), arguments.out, restart=arguments.restart,
          progress_factory=make_progress_factory())
    print("== export")
    run_export(arguments, data)
    print("== compare")
    return run_compare(arguments, data)


def parser_with_out(prog, description, out_help):
    parser = argparse.ArgumentParser(prog=prog, description=description)
    add_data_argument(parser)
    add_extra_arguments(parser)
    parser.add_argument("--out", required=True, help=out_help)
    return parser


def export_main(argv=None):
    parser = parser_with_out("mnist-edge export", "Convert DIR/model.keras to float32, float16, "
                             "dynamic-range and int8 TFLite models with JSON sidecars.",
                             "folder holding model.keras; the models are written beside it")
    add_model_arguments(parser, "export")
    add_export_arguments(parser)
    return run_command("mnist-edge export", export_body, parser.parse_args(argv))


def compare_main(argv=None):
    parser = parser_with_out("mnist-edge compare", "Compare Keras and every TFLite model on the test set; "
                             "exit 3 when int8 falls more than --budget points below Keras.",
                             "folder holding model.keras and model_*.tflite; reports are written there")
    add_model_arguments(parser, "compare")
    parser.add_argument("--before", metavar="MODEL.keras", help="the model fine-tuned from, compared too "
                        "(default: the one --out's history.json names, if it is still there unchanged)")
    add_compare_arguments(parser)
    add_against_argument(parser)
    return run_command("mnist-edge compare", compare_body, parser.parse_args(argv))


def pipeline_main(argv=None):
    parser = parser_with_out("mnist-edge pipeline", "Train, export and compare in one command.",
                             "folder for everything: model.keras, model_*.tflite, sidecars, reports")
    add_training_arguments(parser)
    add_export_arguments(parser)
    add_compare_arguments(parser)
    return run_command("mnist-edge pipeline", pipeline_body, parser.parse_args(argv))
