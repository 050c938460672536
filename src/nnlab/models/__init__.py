"""Models: each supplies forward/backward for the one training loop (nnlab.train.fit)."""
