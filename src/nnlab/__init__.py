"""nnlab: three classic neural-network experiments from scratch in NumPy."""

__version__ = "0.1.0"
