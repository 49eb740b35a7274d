"""mnist-edge export: Keras -> TFLite conversion, sidecars, and the accuracy comparison."""
