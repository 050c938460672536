"""Named parameter arrays that live in one flat buffer.

Every model keeps its weights in one contiguous vector `flat` and its gradients in a
vector `grad` of the same layout; `w[name]` and `g[name]` are reshaped views into them.
The optimiser then updates the whole model with a handful of vector operations, and
copying the best weights for early stopping is one `flat.copy()`.
"""
import numpy as np


class Params:
    def __init__(self, shapes, dtype=np.float32):
        self.shapes = {name: tuple(shape) for name, shape in shapes.items()}
        self.dtype = np.dtype(dtype)
        total = sum(int(np.prod(s)) for s in self.shapes.values())
        self.flat = np.zeros(total, self.dtype)
        self.grad = np.zeros(total, self.dtype)
        self.w, self.g, self.slices = {}, {}, {}
        start = 0
        for name, shape in self.shapes.items():
            stop = start + int(np.prod(shape))
            self.slices[name] = slice(start, stop)
            self.w[name] = self.flat[start:stop].reshape(shape)
            self.g[name] = self.grad[start:stop].reshape(shape)
            start = stop

    def __len__(self):
        return self.flat.size

    def astype(self, dtype):
        """A copy of these parameters in another dtype (float64 for gradient checks)."""
        other = Params(self.shapes, dtype)
        other.flat[:] = self.flat
        return other

    def arrays(self):
        """The named weights as separate arrays (for `np.savez`)."""
        return {name: w.copy() for name, w in self.w.items()}

    def load(self, arrays, source="params"):
        """Copy named arrays into the buffer, checking every name and shape."""
        from nnlab.errors import DataError

        for name, shape in self.shapes.items():
            if name not in arrays:
                raise DataError(f"{source}: key '{name}': expected an array of shape {shape}, found none")
            value = np.asarray(arrays[name])
            if value.shape != shape:
                raise DataError(f"{source}: key '{name}': expected shape {shape}, found {value.shape}")
            self.w[name][...] = value
        return self
