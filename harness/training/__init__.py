"""Training: examples and their sources, the training loop, and the trained-model cache."""
