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
    """The seed's layout at lower cost on the device: 24 first filters instead of 32, batch norm
    on the last two convolutions, no 64-unit dense layer. Measured (README "The default: the
    edge recipe" and "Measured figures"):
    - The middle convolution does four fifths of the multiply-adds, in proportion to its input
      channels, so 24 first filters made int8 inference 0.77x the seed's (0.89x on a CPU with
      VNNI, where every int8 invoke is far faster). Keep widths multiples of 8: 28 filters
      ran exactly as slowly as 32 (XNNPACK rounds channels up to eights).
    - The first convolution keeps its bias and has no batch norm: normalising its 26x26
      outputs took a quarter of every training step on 2 CPU cores, and did not help accuracy."""
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE, name="image"),
            keras.layers.Conv2D(24, 3, activation="relu"),
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
