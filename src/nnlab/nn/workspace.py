"""Scratch arrays that a model allocates once and reuses for every batch."""
import numpy as np


class Workspace:
    """Named scratch arrays. get(name, shape, dtype) returns an array of that shape: a view of
    the first rows of the array kept under `name` when that one has as many rows or more and
    the same trailing shape and dtype, else a new one kept in its place. So a smaller last
    batch reuses the buffer, and loops that ask for the same shapes allocate nothing."""

    def __init__(self):
        self.arrays = {}

    def get(self, name, shape, dtype):
        shape, dtype = tuple(shape), np.dtype(dtype)
        a = self.arrays.get(name)
        if a is None or a.dtype != dtype or a.shape[1:] != shape[1:] or a.shape[0] < shape[0]:
            a = self.arrays[name] = np.empty(shape, dtype)
        return a[:shape[0]]
