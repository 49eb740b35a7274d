"""`mnist-edge train`: a thin argparse layer over train.training.train."""

import argparse
import os
import dataclasses

# Keep TensorFlow's C++ start-up chatter out of the user's terminal unless asked for.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from edge_runtime.errors import UserInputError, run_command
from mnist_edge.train import data as mnist_data
from mnist_edge.train.training import MODEL_NAME, TrainConfig


def add_data_argument(parser):
    parser.add_argument("--data", help="mnist.npz, a folder of IDX files, or a folder of your own pictures "
                        "(DIR/<label>/*.png|jpg) (default: $MNIST_NPZ, then dataset/mnist.npz, "
                        "then the Keras download)")


def add_extra_arguments(parser):
    """--extra and the split of a folder of pictures, for every command that takes --data."""
    from mnist_edge.train import folders

    parser.add_argument("--extra", metavar="DIR", help="your own pictures (DIR/<label>/*.png|jpg), "
                        "trained on beside --data; a held-out share is kept for evaluation")
    parser.add_argument("--extra-weight", type=int, default=1, metavar="K",
                        help="train on each of the --extra pictures K times per epoch (default 1)")
    parser.add_argument("--holdout", type=float, default=folders.DEFAULT_HOLDOUT,
                        help="share of each label of a folder of pictures held out for evaluation "
                             "(default %(default)s)")
    parser.add_argument("--split-seed", type=int, default=folders.DEFAULT_SPLIT_SEED,
                        help="seed of the held-out choice (default %(default)s)")


def load_data(arguments, labels=None):
    """--data (MNIST or a folder tree) with any --extra folder beside it, read for `labels`."""
    from mnist_edge.train import folders

    options = folders.FolderOptions(tuple(labels or folders.DIGIT_LABELS), arguments.holdout, arguments.split_seed)
    data = mnist_data.resolve_and_load(arguments.data, folder_options=options)
    data = mnist_data.with_extra(data, arguments.extra, arguments.extra_weight, options)
    print(f"data: {data.source} ({len(data.x_train)} training, {len(data.x_test)} test images)")
    if data.extra is not None:
        split = data.extra.split
        print(f"extra: {split.train.root} ({len(split.train.files)} training x{data.extra.weight}, "
              f"{len(split.held_out.files)} held out)")
    return data


def epoch_count(text):
    """argparse type: a whole number of epochs, zero or more."""
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of epochs, 0 or more; got {text!r}")
    return count


def per_recipe(recipes, field):
    """e.g. "edge 16, seed 5": a field's value in each recipe, for --help (read from
    train/recipe.py, so the help cannot fall behind a change of recipe)."""
    return ", ".join(f"{name} {recipes[name][field]}" for name in sorted(recipes))


def add_training_arguments(parser):
    """Flags shared by `train` and `pipeline`. Recipe flags left unset take --arch's recipe."""
    from mnist_edge.train.recipe import RECIPES, SCHEDULES

    defaults = TrainConfig()
    parser.add_argument("--arch", choices=sorted(RECIPES), default=defaults.arch,
                        help="edge: batch norm, augmentation, cosine schedule (default); "
                             "seed: the original recipe, for comparison")
    parser.add_argument("--epochs", type=int, help=f"default: the recipe's ({per_recipe(RECIPES, 'epochs')})")
    parser.add_argument("--batch-size", type=int, help=f"default: the recipe's ({per_recipe(RECIPES, 'batch_size')})")
    parser.add_argument("--learning-rate", type=float, help="peak rate; default: the recipe's")
    parser.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                        help="seeded shift/rotation/scale/stroke augmentation (default: the recipe's)")
    parser.add_argument("--clean-epochs", type=epoch_count,
                        help="the last N epochs train on unaugmented images "
                             f"(default: the recipe's: {per_recipe(RECIPES, 'clean_epochs')})")
    parser.add_argument("--schedule", choices=SCHEDULES, help="default: the recipe's")
    parser.add_argument("--validation-size", type=int, default=defaults.validation_size,
                        help="training images held out for validation (never the test set)")
    parser.add_argument("--train-subset", type=int, default=0,
                        help="train on only this many images (0 = all); for quick experiments")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--restart", action="store_true",
                        help="ignore a checkpoint in --out instead of resuming from it")


def config_from_arguments(arguments):
    """The --arch recipe (the fine-tuning recipe with --finetune-from), with every flag the
    user gave laid over it."""
    names = {field.name for field in dataclasses.fields(TrainConfig)} - {"arch", "finetune_from"}
    given = {name: value for name, value in vars(arguments).items() if name in names and value is not None}
    source = getattr(arguments, "finetune_from", None)
    if source:
        from mnist_edge.train import finetune

        return TrainConfig.finetune_recipe(finetune.source_arch(source, arguments.arch),
                                           finetune.source_sha256(source), **given)
    return TrainConfig.recipe(arguments.arch, **given)


def make_progress_factory():
    """A per-epoch batch progress bar on a terminal, nothing in logs."""
    from mnist_edge.train.progress import make_epoch_progress

    return make_epoch_progress


def train_from_arguments(arguments):
    from mnist_edge.train.training import train

    if arguments.strategy and arguments.finetune_from:
        raise UserInputError("--finetune-from runs on one machine; leave out --strategy")
    data = load_data(arguments)
    config = config_from_arguments(arguments)
    if arguments.strategy:
        from mnist_edge.train.distributed import train_distributed

        train_distributed(data, config, arguments.out, arguments.strategy)
    else:
        train(data, config, arguments.out, restart=arguments.restart, progress_factory=make_progress_factory(),
              finetune_from=arguments.finetune_from)
    print(f"wrote {arguments.out}/{MODEL_NAME}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="mnist-edge train", description=
                                     "Train the MNIST CNN; run again with the same --out to resume.")
    add_data_argument(parser)
    add_extra_arguments(parser)
    parser.add_argument("--out", required=True, help="folder for model.keras, history.json, curves")
    parser.add_argument("--finetune-from", metavar="MODEL.keras",
                        help="continue this trained model (low learning rate, few epochs: the fine-tuning "
                             "recipe) instead of starting afresh; usually with --extra")
    add_training_arguments(parser)
    parser.add_argument("--strategy", choices=("mirrored", "multiworker"),
                        help="train through tf.distribute (multiworker reads the cluster from TF_CONFIG); "
                             "same model and recipe, no resume")
    return parser


def main(argv=None):
    arguments = build_parser().parse_args(argv)
    return run_command("mnist-edge train", train_from_arguments, arguments)
