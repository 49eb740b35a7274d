"""The edge recipe: seeded augmentation, the two architectures, recipes, schedule, folded batch norm."""

import json

import numpy as np
import pytest

from prerequisites import require_module
from mnist_edge.train.augment import AugmentRanges, augment

NO_CHANGE = AugmentRanges(rotation_degrees=0.0, scale=(1.0, 1.0), shift_pixels=0.0, thicken_share=0.0, thin_share=0.0)


def test_augmentation_is_keyed_by_seed_and_epoch(mnist):
    images = mnist.x_train[:300]
    first = augment(images, seed=0, epoch=1)
    assert first.dtype == np.uint8 and first.shape == images.shape
    np.testing.assert_array_equal(first, augment(images, seed=0, epoch=1))
    assert not np.array_equal(first, augment(images, seed=0, epoch=2))
    assert not np.array_equal(first, augment(images, seed=1, epoch=1))


def test_zero_ranges_leave_images_unchanged(mnist):
    images = mnist.x_train[:100]
    np.testing.assert_array_equal(augment(images, seed=0, epoch=0, ranges=NO_CHANGE), images)


def centres_of_ink(images):
    """(N, 2) centre of mass (row, col) of each image's ink."""
    ink = images.astype(np.float64)
    rows, cols = np.indices(ink.shape[1:])
    total = ink.sum(axis=(1, 2))
    return np.stack([(ink * rows).sum(axis=(1, 2)) / total, (ink * cols).sum(axis=(1, 2)) / total], axis=1)


def test_a_pure_shift_moves_the_ink(mnist):
    images = mnist.x_train[:50]
    moved = augment(images, 0, 0, AugmentRanges(rotation_degrees=0.0, scale=(1.0, 1.0), shift_pixels=2.0,
                                                  thicken_share=0.0, thin_share=0.0))
    distance = np.abs(centres_of_ink(moved) - centres_of_ink(images))
    # Shifts are drawn from -2..2 px per axis: the ink moves, by about 1 px on average, never past 2 px.
    assert distance.mean() > 0.5 and distance.max() <= 2.05
    # A shift of up to 2 px keeps the ink inside the frame and its total almost unchanged.
    totals, moved_totals = images.sum(axis=(1, 2), dtype=np.int64), moved.sum(axis=(1, 2), dtype=np.int64)
    assert np.all(np.abs(moved_totals - totals) / totals < 0.05)


def test_warp_follows_the_inverse_matrix_and_shift_conventions(mnist):
    """A quarter turn and a one-row shift land on whole pixels, so bilinear warping is exact."""
    from mnist_edge.train.augment import warp

    images = mnist.x_train[:2]
    quarter_turn = np.array([[[0.0, 1.0], [-1.0, 0.0]]] * 2)  # what draw_parameters makes for 90 degrees
    turned = warp(images, quarter_turn, np.zeros((2, 2)))
    np.testing.assert_array_equal(turned, np.rot90(images, 1, axes=(1, 2)))
    moved = warp(images, np.array([np.eye(2)] * 2), np.array([[1.0, 0.0], [0.0, -2.0]]))
    np.testing.assert_array_equal(moved[0, 1:], images[0, :-1])     # one row down
    np.testing.assert_array_equal(moved[1, :, :-2], images[1, :, 2:])  # two columns left
    assert not moved[0, 0].any() and not moved[1, :, -2:].any()      # background comes in


def test_augmentation_is_light_but_changes_every_image(mnist):
    """Small transforms: the bulk of each digit's ink stays where it was, yet no image comes out as it went in."""
    images = mnist.x_train[:500].astype(np.float64)
    augmented = augment(mnist.x_train[:500], 0, 0).astype(np.float64)
    overlap = (images * augmented).sum(axis=(1, 2)) / np.sqrt((images ** 2).sum(axis=(1, 2))
                                                               * (augmented ** 2).sum(axis=(1, 2)))
    assert 0.5 < np.median(overlap) < 0.95
    assert not any(np.array_equal(image, changed) for image, changed in zip(images, augmented))


def test_the_last_epochs_train_on_the_images_as_they_are(mnist):
    """Epochs before the last `clean_epochs` are augmented; the last ones are the permuted originals."""
    from mnist_edge.train.training import TrainConfig, epoch_images

    train = (mnist.x_train[:200], mnist.y_train[:200])
    config = TrainConfig(epochs=4, clean_epochs=2)
    for epoch in range(4):
        images, labels = epoch_images(train, config, epoch)
        order = np.random.default_rng([config.seed, epoch]).permutation(200)
        np.testing.assert_array_equal(labels, train[1][order])
        unchanged = sum(np.array_equal(image, original) for image, original in zip(images, train[0][order]))
        assert unchanged == (200 if epoch >= 2 else 0), (epoch, unchanged)


def test_recipes_keep_the_original_and_default_to_edge():
    from mnist_edge.train.training import TrainConfig

    seed = TrainConfig.recipe("seed")
    assert (seed.arch, seed.epochs, seed.batch_size, seed.learning_rate, seed.augment, seed.schedule) == (
        "seed", 5, 64, 1e-3, False, "constant")
    assert TrainConfig() == TrainConfig.recipe("edge")
    edge = TrainConfig.recipe("edge")
    assert (edge.epochs, edge.clean_epochs, edge.augment) == (16, 1, True)
    assert TrainConfig.recipe("seed", epochs=2).epochs == 2
    with pytest.raises(ValueError, match="unknown architecture 'big'"):
        TrainConfig.recipe("big")


def test_cli_flags_lay_over_the_arch_recipe():
    from mnist_edge.train.cli import build_parser, config_from_arguments

    parse = lambda *flags: config_from_arguments(build_parser().parse_args(["--out", "x", *flags]))  # noqa: E731
    assert parse("--arch", "seed") == __import__("mnist_edge.train.training").train.training.TrainConfig.recipe("seed")
    assert parse("--no-augment").augment is False and parse().arch == "edge"
    assert parse("--arch", "seed", "--batch-size", "32").batch_size == 32
    assert parse().clean_epochs == 1 and parse("--clean-epochs", "0").clean_epochs == 0
    for wrong in ("-1", "two"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["--out", "x", "--clean-epochs", wrong])


def test_edge_model_is_smaller_than_the_seed():
    require_module("tensorflow")
    from mnist_edge.train.model import build_model

    edge, seed = build_model("edge"), build_model("seed")
    assert edge.count_params() < seed.count_params()
    with pytest.raises(ValueError, match="unknown architecture"):
        build_model("resnet")


def multiply_adds(model):
    """Per-image multiply-adds of the convolutions and dense layers, as the device computes them."""
    total = 0
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is not None:
            spatial = layer.output.shape[1] * layer.output.shape[2] if len(layer.output.shape) == 4 else 1
            total += spatial * int(np.prod(kernel.shape))
    return total


def test_edge_model_costs_over_a_fifth_less_on_the_device_in_widths_xnnpack_packs_whole():
    """int8 invoke time follows the multiply-adds, but only for channel counts that are multiples
    of 8: XNNPACK rounds the rest up (28 first filters ran as slowly as 32; README)."""
    require_module("tensorflow")
    from mnist_edge.train.model import build_model

    edge, seed = build_model("edge"), build_model("seed")
    assert multiply_adds(seed) == 2_794_240 and multiply_adds(edge) == 2_156_256
    assert multiply_adds(edge) / multiply_adds(seed) < 0.8
    convolutions = [layer for layer in edge.layers if layer.__class__.__name__ == "Conv2D"]
    assert [layer.filters % 8 for layer in convolutions] == [0, 0, 0]


def test_cosine_schedule_warms_up_then_decays():
    require_module("tensorflow")
    from mnist_edge.train.recipe import learning_rate_for
    from mnist_edge.train.training import TrainConfig

    config = TrainConfig(epochs=2, learning_rate=3e-3)
    schedule = learning_rate_for(config, steps=100)
    rates = [float(schedule(step)) for step in (0, 25, 100, 199)]
    assert rates[0] == pytest.approx(3e-4)
    assert rates[1] == pytest.approx(3e-3)
    assert rates[1] > rates[2] > rates[3] and rates[3] < 1e-4
    assert learning_rate_for(TrainConfig.recipe("seed"), steps=100) == 1e-3


def test_batch_norm_is_folded_into_the_convolutions(small_run):
    """small_run trains the default (edge) architecture; on the device it is plain conv layers."""
    for variant in ("float32", "int8"):
        sidecar = json.loads((small_run / f"model_{variant}.json").read_text())
        ops = {entry["op"] for entry in sidecar["ops"]}
        assert "CONV_2D" in ops
        assert not ops & {"MUL", "ADD", "SUB", "RSQRT", "BATCH_NORM"}, ops
