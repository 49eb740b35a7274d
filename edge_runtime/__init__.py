"""mnist-edge runtime: classify handwritten digits with a TFLite model, without TensorFlow."""
