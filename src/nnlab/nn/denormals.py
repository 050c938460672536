"""Subnormal numbers off: the processor's flush-to-zero (FTZ) and denormals-are-zero (DAZ)
modes, for the calling thread and the threads of NumPy's BLAS.

A float32 below np.finfo(np.float32).tiny (1.18e-38) in magnitude, but not zero, is subnormal:
x86-64 processors compute with such numbers through a micro-code assist, many times slower
than an ordinary operation. The backward signal of a recurrent network
whose gradients vanish passes through that range on its way to zero, and a training step then
takes up to 12 times as long (issue 31, docs/performance.md). With FTZ a result that would be
subnormal is written as zero (of the same sign); with DAZ a subnormal operand is read as
zero. Nothing else changes: a computation whose values all stay in the normal range (or are
zero) gives the same bits either way.

The modes are bits of a per-thread register (x86-64: MXCSR bits 15 and 6; AArch64: FPCR.FZ,
which does both), set through glibc's fegetmode/fesetmode (C23 <fenv.h>, glibc 2.25+) with
ctypes: no compiled code of our own. A thread starts with its creator's modes, so OpenBLAS's
worker threads, made when NumPy was imported, keep theirs: set_flushing therefore restarts
OpenBLAS's thread pool (the shutdown it runs before a fork), rebuilding it from the calling
thread. Elsewhere (another C library or processor) supported() is False and nothing changes;
another BLAS (MKL, BLIS, OpenBLAS on OpenMP) keeps its threads' modes, which matters only
when a job runs BLAS with more than one thread.

The modes act on float64 as well, whose subnormal range starts below 2.2e-308.
"""
import ctypes
import ctypes.util
import platform
import sys
from contextlib import contextmanager

import numpy as np

# machine -> (femode_t as ctypes fields, the field holding the modes, their bits)
_LAYOUTS = {
    "x86_64": ([("control_word", ctypes.c_uint16), ("reserved", ctypes.c_uint16),
                ("mxcsr", ctypes.c_uint32)], "mxcsr", 0x8040),                 # FTZ | DAZ
    "aarch64": ([("fpcr", ctypes.c_uint32)], "fpcr", 1 << 24),                  # FZ
}


class _Modes:
    """The calling thread's modes through glibc's fegetmode / fesetmode."""

    def __init__(self, libm, fields, field, bits):
        self.libm, self.field, self.bits = libm, field, bits
        self.type = type("femode_t", (ctypes.Structure,), {"_fields_": fields})

    def get(self):
        mode = self.type()
        self.libm.fegetmode(ctypes.byref(mode))
        return mode

    def on(self):
        return getattr(self.get(), self.field) & self.bits == self.bits

    def set(self, on):
        mode = self.get()
        value = getattr(mode, self.field)
        setattr(mode, self.field, value | self.bits if on else value & ~self.bits)
        self.libm.fesetmode(ctypes.byref(mode))


def _load():
    """The thread's modes, or None where they cannot be set: not Linux with glibc 2.25+ on
    x86-64 or AArch64, or a processor that does not keep the bits (probed once, put back)."""
    spec = _LAYOUTS.get(platform.machine())
    if spec is None or not sys.platform.startswith("linux"):
        return None
    try:
        libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        libm.fegetmode, libm.fesetmode
    except (OSError, AttributeError):
        return None
    modes = _Modes(libm, *spec)
    before = modes.on()
    modes.set(not before)
    works = modes.on() != before
    modes.set(before)
    return modes if works else None


_THREAD = _load()


def supported():
    """Whether this process can set the modes (Linux, glibc 2.25+, x86-64 or AArch64)."""
    return _THREAD is not None


def flushing():
    """Whether the calling thread flushes subnormal numbers to zero (False where unsupported)."""
    return _THREAD is not None and _THREAD.on()


def _restart_blas_threads():
    """Restart the thread pool of every OpenBLAS loaded (pthreads layer) from the calling
    thread, so that its threads take this thread's modes: blas_thread_shutdown_ (what OpenBLAS
    runs before a fork) and blas_thread_init, both exported by OpenBLAS."""
    from threadpoolctl import ThreadpoolController

    for lib in ThreadpoolController().select(internal_api="openblas").lib_controllers:
        shutdown = getattr(lib.dynlib, "blas_thread_shutdown_", None)
        init = getattr(lib.dynlib, "blas_thread_init", None)
        if getattr(lib, "threading_layer", None) == "pthreads" and shutdown and init:
            shutdown()
            init()


def set_flushing(on=True):
    """Turn FTZ and DAZ on (or off) for the calling thread and OpenBLAS's threads.
    Returns whether they were on before; does nothing (and returns False) where unsupported."""
    before, on = flushing(), bool(on)
    if _THREAD is not None and on != before:
        _THREAD.set(on)
        _restart_blas_threads()
    return before


@contextmanager
def flush_denormals(on=True):
    """with flush_denormals(): ... runs with FTZ and DAZ on (on=False: off), then puts the modes
    back as they were. Yields whether they are on."""
    before = set_flushing(on)
    try:
        yield flushing()
    finally:
        set_flushing(before)


def subnormal_count(a):
    """The number of subnormal entries of a float32 or float64 array, read from their bits (so
    also right while DAZ reads them as zero, when a comparison with tiny would not see them)."""
    a = np.asarray(a)
    if a.dtype == np.float32:
        bits, exponent, mantissa = a.view(np.uint32), np.uint32(0x7F800000), np.uint32(0x007FFFFF)
    elif a.dtype == np.float64:
        bits = a.view(np.uint64)
        exponent, mantissa = np.uint64(0x7FF0000000000000), np.uint64(0x000FFFFFFFFFFFFF)
    else:
        raise ValueError(f"subnormal_count: expected a float32 or float64 array, found {a.dtype}")
    return int(np.count_nonzero(((bits & exponent) == 0) & ((bits & mantissa) != 0)))
