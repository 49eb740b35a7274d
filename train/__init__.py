"""mnist-edge training: MNIST loading, the CNN definition and a resumable training loop."""
