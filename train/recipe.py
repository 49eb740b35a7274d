"""Training recipes: the settings each architecture is trained with, and its learning-rate schedule."""

import math

# The original recipe, kept for comparison; and the edge default (numbers in README:
# "The default: the edge recipe"). Any field can still be overridden on the command line.
RECIPES = {
    "seed": {"epochs": 5, "batch_size": 64, "learning_rate": 1e-3, "augment": False, "clean_epochs": 0,
             "schedule": "constant"},
    "edge": {"epochs": 16, "batch_size": 128, "learning_rate": 3e-3, "augment": True, "clean_epochs": 1,
             "schedule": "cosine"},
}
# Continuing a trained model on MNIST plus the user's pictures (`train --finetune-from`): a
# tenth of the edge recipe's peak rate, so the weights move towards the new hands without
# forgetting MNIST, for few epochs (numbers in README: "Your own handwriting").
FINETUNE_RECIPE = {"epochs": 2, "batch_size": 128, "learning_rate": 3e-4, "augment": True, "clean_epochs": 0,
                   "schedule": "cosine"}
SCHEDULES = ("constant", "cosine")
WARMUP_EPOCHS = 0.25   # a short ramp: batch norm statistics are still settling in the first steps
FINAL_FRACTION = 0.01  # the cosine ends at 1% of the peak rate


def recipe_for(arch):
    if arch not in RECIPES:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(sorted(RECIPES))}")
    return dict(RECIPES[arch])


def steps_per_epoch(train_images, batch_size):
    return math.ceil(train_images / batch_size)


def learning_rate_for(config, steps):
    """A float for "constant"; for "cosine", a warm-up then cosine decay over `config.epochs`.

    The schedule is a Keras object saved with the optimizer, so a resumed run continues it
    from the checkpoint's step. Growing --epochs on resume keeps the schedule of the first run.
    """
    if config.schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {config.schedule!r}; choose one of {', '.join(SCHEDULES)}")
    if config.schedule == "constant":
        return config.learning_rate
    import keras

    warmup = max(1, round(WARMUP_EPOCHS * steps))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=config.learning_rate / 10, warmup_target=config.learning_rate,
        warmup_steps=warmup, decay_steps=max(1, config.epochs * steps - warmup), alpha=FINAL_FRACTION)
