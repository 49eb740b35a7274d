"""The CNN, defined top to bottom. Importing this module imports Keras."""

import keras

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
ARCHITECTURES = ("seed",)


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


def build_model(arch="seed", learning_rate=1e-3):
    """A compiled model. Keywords for compile(): Keras 3 reads positional metrics as loss_weights."""
    if arch != "seed":
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")
    model = build_seed_model()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model
