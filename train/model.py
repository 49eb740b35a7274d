"""The CNNs, each defined top to bottom. Importing this module imports Keras."""

import keras

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
ARCHITECTURES = ("edge", "seed")


def build_seed_model():
    """The original recipe's network: three 3x3 convolutions, two poolings, two dense layers."""
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE, name="image"),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"),
        ],
        name="mnist_seed",
    )


def conv_block(filters, synchronized=False):
    """Convolution without bias, then batch norm: the TFLite converter folds the norm into the
    convolution's weights and bias, so on the device this is one CONV_2D with a fused ReLU.
    Momentum 0.9, not Keras's 0.99: a few hundred steps per epoch are too few for the slower
    moving averages to settle, and inference (and so the exported model) uses those averages.
    `synchronized` all-reduces batch statistics across tf.distribute replicas, so a distributed
    run normalises over the global batch, as one machine does, and every worker's moving
    averages stay identical."""
    return [
        keras.layers.Conv2D(filters, 3, use_bias=False),
        keras.layers.BatchNormalization(momentum=0.9, synchronized=synchronized),
        keras.layers.ReLU(),
    ]


def build_edge_model(synchronized=False):
    """The seed's convolutions, batch norm on the last two, minus the seed's 64-unit dense layer:
    fewer multiply-adds than the seed (so int8 is no slower on a Pi), trains at a higher rate.
    The first convolution keeps its bias and has no batch norm: normalising its 26x26x32
    outputs took a quarter of every training step on 2 CPU cores, and without it the recipe
    ends at 99.59 % test accuracy instead of 99.49 % (measured; README "Beyond the original recipe")."""
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE, name="image"),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            *conv_block(64, synchronized),
            keras.layers.MaxPooling2D(2),
            *conv_block(64, synchronized),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.25),
            keras.layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"),
        ],
        name="mnist_edge",
    )


BUILDERS = {"edge": build_edge_model, "seed": lambda synchronized=False: build_seed_model()}


def build_model(arch="seed", learning_rate=1e-3, distributed=False):
    """A compiled model. `learning_rate` is a float or a keras LearningRateSchedule (saved with
    the optimizer, so a resumed run continues the schedule from the checkpoint's step).
    `distributed` synchronises batch norm across replicas (the seed has none).
    Keywords for compile(): Keras 3 reads positional metrics as loss_weights."""
    if arch not in BUILDERS:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")
    model = BUILDERS[arch](synchronized=distributed)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model
