"""`mnist-edge train`: a thin argparse layer over train.training.train."""

import argparse
import os
import dataclasses

# Keep TensorFlow's C++ start-up chatter out of the user's terminal unless asked for.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from edge_runtime.errors import run_command
from train import data as mnist_data
from train.training import MODEL_NAME, TrainConfig


def add_data_argument(parser):
    parser.add_argument("--data", help="mnist.npz or a folder of IDX files "
                        "(default: $MNIST_NPZ, then dataset/mnist.npz, then the Keras download)")


def epoch_count(text):
    """argparse type: a whole number of epochs, zero or more."""
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of epochs, 0 or more; got {text!r}")
    return count


def add_training_arguments(parser):
    """Flags shared by `train` and `pipeline`. Recipe flags left unset take --arch's recipe."""
    from train.recipe import RECIPES, SCHEDULES

    defaults = TrainConfig()
    parser.add_argument("--arch", choices=sorted(RECIPES), default=defaults.arch,
                        help="edge: batch norm, augmentation, cosine schedule (default); "
                             "seed: the original recipe, for comparison")
    parser.add_argument("--epochs", type=int, help="default: the recipe's (edge 8, seed 5)")
    parser.add_argument("--batch-size", type=int, help="default: the recipe's (edge 128, seed 64)")
    parser.add_argument("--learning-rate", type=float, help="peak rate; default: the recipe's")
    parser.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                        help="seeded shift/rotation/scale/stroke augmentation (default: the recipe's)")
    parser.add_argument("--clean-epochs", type=epoch_count,
                        help="the last N epochs train on unaugmented images (default: the recipe's, edge 1)")
    parser.add_argument("--schedule", choices=SCHEDULES, help="default: the recipe's")
    parser.add_argument("--validation-size", type=int, default=defaults.validation_size,
                        help="training images held out for validation (never the test set)")
    parser.add_argument("--train-subset", type=int, default=0,
                        help="train on only this many images (0 = all); for quick experiments")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--restart", action="store_true",
                        help="ignore a checkpoint in --out instead of resuming from it")


def config_from_arguments(arguments):
    """The --arch recipe, with every flag the user gave laid over it."""
    names = {field.name for field in dataclasses.fields(TrainConfig)} - {"arch"}
    given = {name: value for name, value in vars(arguments).items() if name in names and value is not None}
    return TrainConfig.recipe(arguments.arch, **given)


def make_progress_factory():
    """A per-epoch batch progress bar on a terminal, nothing in logs."""
    from train.progress import make_epoch_progress

    return make_epoch_progress


def train_from_arguments(arguments):
    from train.training import train

    data = mnist_data.resolve_and_load(arguments.data)
    print(f"data: {data.source} ({len(data.x_train)} training, {len(data.x_test)} test images)")
    config = config_from_arguments(arguments)
    if arguments.strategy:
        from train.distributed import train_distributed

        train_distributed(data, config, arguments.out, arguments.strategy)
    else:
        train(data, config, arguments.out, restart=arguments.restart, progress_factory=make_progress_factory())
    print(f"wrote {arguments.out}/{MODEL_NAME}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="mnist-edge train", description=
                                     "Train the MNIST CNN; run again with the same --out to resume.")
    add_data_argument(parser)
    parser.add_argument("--out", required=True, help="folder for model.keras, history.json, curves")
    add_training_arguments(parser)
    parser.add_argument("--strategy", choices=("mirrored", "multiworker"),
                        help="train through tf.distribute (multiworker reads the cluster from TF_CONFIG); "
                             "same model and recipe, no resume")
    return parser


def main(argv=None):
    arguments = build_parser().parse_args(argv)
    return run_command("mnist-edge train", train_from_arguments, arguments)
