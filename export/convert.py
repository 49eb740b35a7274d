"""Keras -> TFLite conversions, one small function per variant, builtin ops only.

All conversions go through a SavedModel with a fixed batch of one: the edge runtime
classifies one image at a time, and fixed shapes let the converter fold more.
"""

import tempfile

import keras
import numpy as np
import tensorflow as tf

VARIANTS = ("float32", "float16", "dynamic_range", "int8")


def write_saved_model(model, directory):
    """Keras 3's ExportArchive: one fixed-shape endpoint. (Converting a bare tf.function
    instead loses the Keras 3 variables and the model outputs NaN.)"""
    input_shape = (1,) + tuple(model.inputs[0].shape[1:])
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", lambda image: model(image, training=False),
                         input_signature=[tf.TensorSpec(input_shape, tf.float32, name="image")])
    archive.write_out(directory, verbose=False)


def convert_with(model, configure):
    """Convert with builtin ops only (a Flex op fails the export), after `configure(converter)`."""
    with tempfile.TemporaryDirectory(prefix="mnist-edge-savedmodel-") as saved_model_dir:
        write_saved_model(model, saved_model_dir)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved_model_dir)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        configure(converter)
        return converter.convert()


def configure_float32(converter, representative_images=None):
    """Nothing to change: the float32 model is the Keras graph, op for op."""


def configure_float16(converter, representative_images=None):
    """float16 weights, dequantized to float32 at load time: half the file, float accuracy."""
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]


def configure_dynamic_range(converter, representative_images=None):
    """int8 weights, float activations, no calibration data.

    TF 2.21 quantizes dense layers per channel here, which emits FULLY_CONNECTED v12;
    tflite-runtime 2.14 (still common on a Pi) cannot load that, so dense layers stay per-tensor.
    """
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter._experimental_disable_per_channel_quantization_for_dense_layers = True


def configure_int8(converter, representative_images):
    """Full-integer: int8 weights, activations, input and output, calibrated on real images."""
    if len(representative_images) == 0:
        # The converter would silently calibrate on nothing and ship garbage ranges.
        raise ValueError("int8 calibration needs at least one representative image")
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset(representative_images)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8


def representative_dataset(images):
    """Calibration generator: float32 (28, 28, 1) images in [0, 1], one per step."""
    def generate():
        for image in images:
            yield [np.asarray(image, dtype=np.float32)[np.newaxis]]
    return generate


CONFIGURATIONS = {
    "float32": configure_float32,
    "float16": configure_float16,
    "dynamic_range": configure_dynamic_range,
    "int8": configure_int8,
}


def convert_variant(model, variant, representative_images=None):
    """The .tflite bytes of one variant."""
    configure = CONFIGURATIONS[variant]
    return convert_with(model, lambda converter: configure(converter, representative_images))
