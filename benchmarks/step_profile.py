"""Where each microsecond of a recurrent step goes: nnlab's cells, one source line at a time.

    python benchmarks/step_profile.py [--cells rnn,lstm,gru] [--repeats 20] [--truncation K] [--batch 32]

Runs the real forward and backward passes of nnlab.nn.recurrent on random data of the
benchmark's shapes (150 steps, 3 inputs, 128 units, float32, one BLAS thread), with the
module's `np` replaced by a proxy that times every NumPy call and books it to the source line
that made it. For each line: calls per batch and microseconds per step (the line's time
per batch / the steps of its pass), the best of --repeats batches. "other" is the pass's
time under the proxy minus its NumPy calls: the Python of the loop (slicing, indexing) and
the proxy's own bookkeeping. The plain pass (no proxy) is timed too, best of --repeats.
"""
import argparse
import inspect
import sys
import time
from collections import defaultdict

import numpy as np
from threadpoolctl import threadpool_limits

from nnlab.nn import recurrent
from nnlab.nn.workspace import Workspace

STEPS, CHANNELS, HIDDEN = 150, 3, 128


class TimedNumpy:
    """Stands in for the numpy module: every function fetched from it is timed per calling line."""

    def __init__(self):
        self.seconds, self.calls = defaultdict(float), defaultdict(int)

    def __getattr__(self, name):
        fn = getattr(np, name)
        return self.timed(fn) if callable(fn) else fn

    def timed(self, fn):
        seconds, calls = self.seconds, self.calls

        def timed(*args, **kwargs):
            line = sys._getframe(1).f_lineno
            start = time.perf_counter()
            result = fn(*args, **kwargs)
            seconds[line] += time.perf_counter() - start
            calls[line] += 1
            return result
        return timed


def helpers():
    """The functions nnlab.nn.recurrent imports from other modules (nnlab.nn.layers'
    sigmoid_grad, tanh_grad): timed like NumPy calls, as one call of their caller's line."""
    return {name: fn for name, fn in vars(recurrent).items()
            if inspect.isfunction(fn) and fn.__module__ != recurrent.__name__}


def profile(cell, batch, truncation, repeats):
    forward, backward, blocks = recurrent.CELLS[cell]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((STEPS, batch, CHANNELS), dtype=np.float32)
    Wx = 0.3 * rng.standard_normal((CHANNELS, blocks * HIDDEN), dtype=np.float32)
    Wh = 0.1 * rng.standard_normal((HIDDEN, blocks * HIDDEN), dtype=np.float32)
    b = np.zeros(blocks * HIDDEN, np.float32)
    dh = rng.standard_normal((batch, HIDDEN), dtype=np.float32)
    ws = Workspace()
    plain = {"forward": float("inf"), "backward": float("inf")}
    traced = {"forward": float("inf"), "backward": float("inf")}
    lines = defaultdict(lambda: float("inf"))
    calls = {}
    for _ in range(repeats):
        start = time.perf_counter()
        cache = forward(x, Wx, Wh, b, ws=ws)[1]
        middle = time.perf_counter()
        backward(dh, cache, truncation)
        plain["forward"] = min(plain["forward"], middle - start)
        plain["backward"] = min(plain["backward"], time.perf_counter() - middle)
        proxy, imported = TimedNumpy(), helpers()
        recurrent.np = proxy
        for name, fn in imported.items():
            setattr(recurrent, name, proxy.timed(fn))
        try:
            start = time.perf_counter()
            cache = forward(x, Wx, Wh, b, ws=ws)[1]
            middle = time.perf_counter()
            backward(dh, cache, truncation)
            end = time.perf_counter()
        finally:
            recurrent.np = np
            for name, fn in imported.items():
                setattr(recurrent, name, fn)
        traced["forward"] = min(traced["forward"], middle - start)
        traced["backward"] = min(traced["backward"], end - middle)
        for line, s in proxy.seconds.items():
            lines[line] = min(lines[line], s)
            calls[line] = proxy.calls[line]
    return plain, traced, dict(lines), calls


def report(cell, batch, truncation, repeats):
    forward, backward, _ = recurrent.CELLS[cell]
    plain, traced, lines, calls = profile(cell, batch, truncation, repeats)
    source, _ = inspect.getsourcelines(recurrent)
    k = STEPS if truncation is None else min(truncation, STEPS)
    print(f"\n{cell}: batch {batch}, {STEPS} steps, {HIDDEN} units, "
          f"{'full BPTT' if truncation is None else f'truncated BPTT k = {k}'}; us per step, best of {repeats}")
    for name, fn, steps in (("forward", forward, STEPS), ("backward", backward, k)):
        body, first = inspect.getsourcelines(fn)
        own = sorted(line for line in lines if first <= line < first + len(body))
        products = sum(lines[line] for line in own if "matmul" in source[line - 1])
        total_numpy = sum(lines[line] for line in own)
        print(f"  {name}: plain {plain[name] / steps * 1e6:7.1f}   under the proxy {traced[name] / steps * 1e6:7.1f}"
              f"   products {products / steps * 1e6:6.1f}   element-wise {(total_numpy - products) / steps * 1e6:6.1f}"
              f"   other {(traced[name] - total_numpy) / steps * 1e6:6.1f}")
        for line in own:
            text = source[line - 1].strip().split("#")[0].strip()
            print(f"    {line:4d} {calls[line]:5d} calls {lines[line] / steps * 1e6:7.2f}   {text[:90]}")
    helpers = sorted(line for line in lines if not any(
        first <= line < first + len(body) for body, first in (inspect.getsourcelines(f) for f in (forward, backward))))
    for line in helpers:
        text = source[line - 1].strip().split("#")[0].strip()
        print(f"    helper {line:4d} {calls[line]:5d} calls {lines[line] * 1e6:8.1f} us per batch   {text[:80]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", default="rnn,lstm,gru")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--truncation", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with threadpool_limits(1):
        for cell in args.cells.split(","):
            report(cell, args.batch, args.truncation, args.repeats)


if __name__ == "__main__":
    main()
