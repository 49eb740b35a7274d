"""`mnist-edge export`, `compare` and `pipeline`: thin argparse layers over export/ and train/."""

import argparse
import os
from pathlib import Path

# Keep TensorFlow's C++ start-up chatter out of the user's terminal unless asked for.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from edge_runtime.errors import UserInputError, run_command
from train import data as mnist_data
from train.cli import add_data_argument, add_training_arguments, config_from_arguments
from train.training import MODEL_NAME

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


def add_against_argument(parser):
    parser.add_argument("--against", help="another run's folder (e.g. --arch seed): its models are "
                        "compared too and the report shows both architectures side by side")


def export_settings(arguments):
    from export.convert import VARIANTS
    from export.exporter import ExportSettings

    variants = tuple(arguments.variants or VARIANTS)
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        raise UserInputError(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    return ExportSettings(variants=variants, representative_size=arguments.representative_size)


def run_export(arguments, data):
    from export.exporter import export_all

    out_dir = Path(arguments.out)
    return export_all(out_dir / MODEL_NAME, out_dir, data, export_settings(arguments))


def make_progress(variant):
    """A tqdm bar over the test set, shown only on a terminal."""
    from tqdm import tqdm

    return lambda iterable: tqdm(iterable, desc=f"{variant:>13}", unit="img", leave=False, disable=None)


def run_compare(arguments, data):
    """Compare, write report.json/.md/.png, print the table; return the exit status (gate)."""
    from export import compare, report, report_plot, sidecars
    from export.exporter import load_keras_model, model_filename

    out_dir = Path(arguments.out)
    keras_path = out_dir / MODEL_NAME
    result = compare.compare(load_keras_model(keras_path), keras_path, out_dir, data, make_progress)
    result["architecture"] = compare.architecture_of(keras_path)
    if getattr(arguments, "against", None):
        add_side_by_side(result, Path(arguments.against), data)
    passed = compare.apply_gate(result, arguments.budget)
    for variant, record in result["models"].items():
        if variant != "keras":
            sidecars.update_sidecar(out_dir / model_filename(variant), test_accuracy={
                "accuracy": record["accuracy"], "agreement_with_keras": record["agreement_with_keras"],
                "keras_accuracy": result["models"]["keras"]["accuracy"], "test_samples": result["test_samples"]})
    report.write_reports(result, out_dir)
    report_plot.plot_report(result, out_dir / "report.png")
    print(report.format_table(report.summary_rows(result)))
    print_side_by_side(result)
    print(f"wrote {out_dir}/report.json, report.md, report.png")
    if not passed:
        print(f"mnist-edge: deployment gate failed: int8 is {result['gate']['int8_drop_points']} points "
              f"below Keras (budget {arguments.budget})")
        return GATE_FAILED
    return 0


def add_side_by_side(result, other_dir, data):
    """Compare the other run's models the same way and record both architectures' figures."""
    from export import compare
    from export.exporter import load_keras_model

    keras_path = other_dir / MODEL_NAME
    other = compare.compare(load_keras_model(keras_path), keras_path, other_dir, data, make_progress)
    other_arch = compare.architecture_of(keras_path)
    if other_arch == result["architecture"]:
        other_arch = f"{other_arch} ({other_dir.name})"
    result["side_by_side"] = compare.side_by_side({result["architecture"]: result, other_arch: other})


def print_side_by_side(result):
    from export import report

    if "side_by_side" in result:
        print(report.format_table(report.side_by_side_rows(result), report.SIDE_BY_SIDE_HEADER))


def load_data(arguments):
    data = mnist_data.resolve_and_load(arguments.data)
    print(f"data: {data.source} ({len(data.x_train)} training, {len(data.x_test)} test images)")
    return data


def export_body(arguments):
    run_export(arguments, load_data(arguments))
    return 0


def compare_body(arguments):
    return run_compare(arguments, load_data(arguments))


def pipeline_body(arguments):
    from train.cli import make_progress_factory
    from train.training import train

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
    parser.add_argument("--out", required=True, help=out_help)
    return parser


def export_main(argv=None):
    parser = parser_with_out("mnist-edge export", "Convert DIR/model.keras to float32, float16, "
                             "dynamic-range and int8 TFLite models with JSON sidecars.",
                             "folder holding model.keras; the models are written beside it")
    add_export_arguments(parser)
    return run_command("mnist-edge export", export_body, parser.parse_args(argv))


def compare_main(argv=None):
    parser = parser_with_out("mnist-edge compare", "Compare Keras and every TFLite model on the test set; "
                             "exit 3 when int8 falls more than --budget points below Keras.",
                             "folder holding model.keras and model_*.tflite; reports are written there")
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
