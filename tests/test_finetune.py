"""`train --finetune-from`: a small trained model continued on MNIST plus a folder of pictures,
deterministic, recorded, and refusing to resume on other data."""

import json

import cv2
import numpy as np
import pytest

from prerequisites import require_module

require_module("tensorflow")

from edge_runtime.errors import UserInputError  # noqa: E402
from mnist_edge.train import data as mnist_data  # noqa: E402
from mnist_edge.train import finetune  # noqa: E402
from mnist_edge.train.training import TrainConfig, split_train_validation, train  # noqa: E402


@pytest.fixture(scope="module")
def pictures(mnist, tmp_path_factory):
    """MNIST training digits 0-4 as a user's dark-on-light photos, 40 per label."""
    root = tmp_path_factory.mktemp("mine")
    for digit in range(5):
        (root / str(digit)).mkdir()
        for index, image in enumerate(mnist.x_train[mnist.y_train == digit][-40:]):
            cv2.imwrite(str(root / str(digit) / f"{index:02d}.png"), cv2.resize(255 - image, (48, 48)))
    return root


def finetune_config(source, **overrides):
    settings = {"epochs": 1, "train_subset": 2000, "validation_size": 500, **overrides}
    return TrainConfig.finetune_recipe("edge", finetune.source_sha256(source), **settings)


def test_finetuning_is_deterministic_and_records_the_users_data(small_run, mnist, pictures, tmp_path):
    source = small_run / "model.keras"
    data = mnist_data.with_extra(mnist, pictures, weight=3)
    config = finetune_config(source)
    (train_images, train_labels), _ = split_train_validation(data, config)
    assert len(train_images) == 2000 + 3 * 160  # MNIST's subset, then each picture three times
    np.testing.assert_array_equal(train_images[2000::3], data.extra.split.train.images)
    first = train(data, config, tmp_path / "first", log=lambda line: None, finetune_from=source)
    second = train(data, config, tmp_path / "second", log=lambda line: None, finetune_from=source)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    import keras

    from mnist_edge.train.training import scale_images

    original = keras.models.load_model(source)
    moved = max(float(np.abs(a - b).max()) for a, b in zip(first.get_weights(), original.get_weights()))
    assert moved > 0, "fine-tuning changed no weight"
    # It continued the trained model: one epoch on 2,000 images from scratch ends far lower.
    images, labels = scale_images(mnist.x_test[:2000]), mnist.y_test[:2000]
    accuracy = [np.mean(model.predict(images, verbose=0).argmax(axis=1) == labels) for model in (original, first)]
    assert accuracy[0] > 0.95 and accuracy[1] >= accuracy[0] - 0.01, accuracy
    history = json.loads((tmp_path / "first" / "history.json").read_text())
    assert history["config"]["learning_rate"] == 3e-4 and history["config"]["augment"] is True
    assert history["finetuned_from"] == {"file": str(source.resolve()), "sha256": config.finetune_from}
    extra = history["data"]["extra"]
    assert extra["weight"] == 3 and extra["train_counts"]["0"] == 32 and extra["held_out_counts"]["4"] == 8
    assert len(extra["held_out_files"]) == 40 and len(extra["sha256"]) == 64
    state = json.loads((tmp_path / "first" / "train_state.json").read_text())
    assert state["data_record"]["extra"]["held_out_files"] == extra["held_out_files"]
    assert state["config"]["finetune_from"] == config.finetune_from


def test_a_resumed_finetuning_ends_where_an_uninterrupted_one_does(small_run, mnist, pictures, tmp_path):
    source = small_run / "model.keras"
    data = mnist_data.with_extra(mnist, pictures, weight=2)
    quiet = {"log": lambda line: None, "finetune_from": source}

    def stop_before_the_second_epoch(epoch, config):
        if epoch == 1:
            raise KeyboardInterrupt  # as Ctrl-C would, after epoch 1's checkpoint
        return None

    with pytest.raises(KeyboardInterrupt):
        train(data, finetune_config(source, epochs=2), tmp_path / "resumed",
              progress_factory=stop_before_the_second_epoch, **quiet)
    assert len(json.loads((tmp_path / "resumed" / "train_state.json").read_text())["history"]) == 1
    resumed = train(data, finetune_config(source, epochs=2), tmp_path / "resumed", **quiet)
    uninterrupted = train(data, finetune_config(source, epochs=2), tmp_path / "uninterrupted", **quiet)
    for a, b in zip(resumed.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_the_command_line_continues_the_named_model(small_run, pictures, mnist_npz_path, tmp_path):
    import subprocess
    import sys

    source = small_run / "model.keras"
    result = subprocess.run([sys.executable, "-m", "edge_runtime", "train", "--finetune-from", str(source),
                             "--data", str(mnist_npz_path), "--extra", str(pictures), "--extra-weight", "2",
                             "--train-subset", "1000", "--validation-size", "200", "--epochs", "1",
                             "--out", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"extra: {pictures} (160 training x2, 40 held out)" in result.stdout
    history = json.loads((tmp_path / "history.json").read_text())
    assert history["finetuned_from"]["sha256"] == finetune.source_sha256(source)
    assert history["config"]["arch"] == "edge" and history["config"]["learning_rate"] == 3e-4
    assert history["config"]["epochs"] == 1

    def compare(*split):
        command = ["compare", "--data", str(mnist_npz_path), "--extra", str(pictures), *split, "--out", str(tmp_path)]
        result = subprocess.run([sys.executable, "-m", "edge_runtime", *command], capture_output=True, text=True)
        assert result.returncode == 3, result.stderr[-2000:]  # nothing exported: no int8 to pass the gate
        return result.stdout, json.loads((tmp_path / "report.json").read_text())

    stdout, report = compare()  # the split training used: before and after, on pictures never trained on
    held = report["user_held_out"]
    assert held["same_as_training"] is True and held["images"] == 40 and "note:" not in stdout
    assert set(held["models"]) == {"keras", "before"} and report["models"]["before"]["file"] == str(source.resolve())
    assert held["changed"]["count"] == held["changed"]["fixed"] + held["changed"]["broken"] + sum(
        item["before"] != item["label"] and item["after"] != item["label"] for item in held["changed"]["images"])
    stdout, report = compare("--holdout", "0.5")
    assert report["user_held_out"]["same_as_training"] is False and "note: these held-out pictures differ" in stdout


def test_a_changed_folder_or_source_model_refuses_to_resume(small_run, mnist, pictures, tmp_path):
    source = small_run / "model.keras"
    out = tmp_path / "run"
    config = finetune_config(source)
    train(mnist_data.with_extra(mnist, pictures), config, out, log=lambda line: None, finetune_from=source)
    grown = finetune_config(source, epochs=2)
    moved = tmp_path / "moved"
    import shutil

    shutil.copytree(pictures, moved)
    (moved / "0" / "00.png").rename(moved / "1" / "00.png")  # the user fixes a label
    with pytest.raises(UserInputError, match="different settings or data"):
        train(mnist_data.with_extra(mnist, moved), grown, out, log=lambda line: None, finetune_from=source)
    other_source = dataclass_replace(grown, finetune_from="0" * 64)
    with pytest.raises(UserInputError, match="different settings or data"):
        train(mnist_data.with_extra(mnist, pictures), other_source, out, log=lambda line: None, finetune_from=source)


def dataclass_replace(config, **changes):
    import dataclasses

    return dataclasses.replace(config, **changes)


def test_the_finetuning_recipe_is_a_low_rate_for_few_epochs(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"weights")
    config = TrainConfig.finetune_recipe("edge", finetune.source_sha256(path))
    assert (config.epochs, config.learning_rate, config.augment) == (2, 3e-4, True)
    assert config.learning_rate <= TrainConfig().learning_rate / 10
    assert config.identity()["finetune_from"] == finetune.source_sha256(path)
    assert "finetune_from" not in TrainConfig().identity(), "checkpoints from before fine-tuning still resume"
