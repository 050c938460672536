"""Scratch arrays that a model allocates once and reuses for every batch, and evaluation in
chunks of rows, which bounds how large those arrays grow."""
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


def in_chunks(f, arrays, size):
    """f(*rows) over consecutive chunks of at most `size` rows of `arrays` (each with N rows),
    its results stacked into new arrays (N, ...): one array if f returns one, else a tuple
    (None where f returns None). Each result is copied out before the next call, so f may
    return views into a workspace. With N = 0, f is called once on the empty arrays."""
    n = len(arrays[0])
    stacked = None
    for start in range(0, max(n, 1), size):
        parts = f(*(a[start:start + size] for a in arrays))
        single = not isinstance(parts, tuple)
        parts = (parts,) if single else parts
        if stacked is None:
            stacked = tuple(None if p is None else np.empty((n, *p.shape[1:]), p.dtype) for p in parts)
        for out, part in zip(stacked, parts):
            if out is not None:
                out[start:start + len(part)] = part
    return stacked[0] if single else stacked
