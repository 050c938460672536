"""Subnormal numbers flushed to zero (nnlab.nn.denormals, issue 31): no subnormal value where
there were some, in this thread and in BLAS's threads, in every workflow job (nnlab.runner);
the same loss and gradients with and without, to float32 precision when a backward signal
vanishes through the subnormal range, bit for bit when every value stays normal, and float64
untouched. No timings here: docs/performance.md measures the speed."""
from types import SimpleNamespace

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from nnlab import runner
from nnlab.models.recurrent import RecurrentClassifier
from nnlab.nn import denormals, recurrent
from nnlab.nn.denormals import flush_denormals, flushing, subnormal_count
from nnlab.nn.recurrent import CELLS

pytestmark = pytest.mark.skipif(not denormals.supported(), reason="this platform cannot flush subnormals")

T, C, H, K = 150, 3, 32, 6
EPS32 = float(np.finfo(np.float32).eps)
# What the contributions dropped by flushing can add up to in a weight gradient: T * N terms,
# each a subnormal (< 1.2e-38) times an input or state (|.| < 10 here): below 1e-33.
DROPPED = 1e-30


def underflowing_product(n=512):
    """An (n, n) float32 product whose every entry is subnormal (n * 1e-42) without flushing and
    zero with it: large enough for OpenBLAS to share it among its threads."""
    a = np.full((n, n), 1e-21, np.float32)
    return a @ a


def blas_pool_threads():
    return max((pool["num_threads"] for pool in threadpool_info() if pool["internal_api"] == "openblas"), default=0)


def test_subnormal_count_reads_the_bits():
    assert subnormal_count(np.array([1e-39, -1e-45, 1.2e-38, 0.0, -0.0, 1.0, np.inf], np.float32)) == 2
    assert subnormal_count(np.array([1e-310, -5e-324, 2.3e-308, 0.0])) == 2
    made = np.array([1e-39], np.float32)
    with flush_denormals():            # DAZ reads it as zero; its bits still say what it is
        assert subnormal_count(made) == 1 and not made[0] > 0
        assert subnormal_count(np.array([1e-39], np.float32)) == 0      # FTZ: converted to zero
    with pytest.raises(ValueError, match="^subnormal_count: expected a float32 or float64 array, found int64$"):
        subnormal_count(np.arange(3))


def test_flush_makes_zeros_of_subnormal_results_here_and_in_blas_threads_then_puts_it_back():
    tiny = np.float32(1e-20)
    assert not flushing()
    with threadpool_limits(2):
        assert subnormal_count(underflowing_product()) == 512 * 512
        with flush_denormals() as on:
            assert on and flushing()
            assert subnormal_count(np.full(8, tiny) * tiny) == 0 and np.all(np.full(8, tiny) * tiny == 0)
            assert not np.any(underflowing_product())          # this thread's share and the workers'
            with flush_denormals(False):
                assert subnormal_count(underflowing_product()) == 512 * 512
            assert not np.any(underflowing_product())
        assert not flushing()
        assert subnormal_count(underflowing_product()) == 512 * 512
        assert subnormal_count(np.full(8, tiny) * tiny) == 8


def test_blas_threads_need_their_pool_restarted():
    """OpenBLAS's workers keep the modes they were made with (NumPy's import): this thread's
    modes alone leave their share of a product subnormal, which is why set_flushing restarts them."""
    if blas_pool_threads() < 2:
        pytest.skip("OpenBLAS has no worker thread here")
    with threadpool_limits(2):
        denormals._THREAD.set(True)
        try:
            assert 0 < subnormal_count(underflowing_product()) < 512 * 512
        finally:
            denormals._THREAD.set(False)


def test_every_workflow_job_runs_flushed_with_its_blas_threads(tmp_path):
    seen = []

    def job(log):
        seen.append((flushing(), subnormal_count(underflowing_product())))

    runner.run(SimpleNamespace(log=[str(tmp_path / "job.log")], rule="x_train", threads=2), job)
    assert seen == [(True, 0)]
    assert not flushing()
    assert runner.NO_FLUSH not in (tmp_path / "job.log").read_text()


class SubnormalsSeen:
    """Counts the subnormal values of the backward signal: every step's pre-activation
    gradients da_t, as each chunk of steps reaches the weight-gradient product."""

    def __init__(self, monkeypatch):
        self.count = self.values = 0
        add = recurrent._add_stack_grad

        def counting(dW, stack, da, start, stop, ws, name):
            self.count += subnormal_count(da[:, :stop - start])
            self.values += da[:, :stop - start].size
            return add(dW, stack, da, start, stop, ws, name)
        monkeypatch.setattr(recurrent, "_add_stack_grad", counting)


def step(cell, on, monkeypatch, scale=1.0, dtype=np.float32, truncation=None):
    """One training step of a fresh classifier whose Wh is scaled by `scale`, with flushing on
    or off: ((loss, correct), gradient, evaluation, subnormals seen in the backward signal)."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, T, C)).astype(dtype), rng.integers(0, K, 8)
    model = RecurrentClassifier(cell, C, H, [16], K, truncation=truncation, seed=1, dtype=dtype)
    model.params.w["Wh"][...] *= scale
    seen = SubnormalsSeen(monkeypatch)
    with flush_denormals(on):
        result = model.step(x, y)
        evaluation = model.evaluate(x, y)
    return result, model.params.grad.copy(), evaluation, seen.count


@pytest.mark.parametrize("cell", list(CELLS))
def test_vanishing_backward_signal_same_loss_and_gradients_without_subnormals(cell, monkeypatch):
    """Wh scaled by 0.1: the signal shrinks through the subnormal range over the 150 steps."""
    loss_off, grad_off, eval_off, seen_off = step(cell, False, monkeypatch, scale=0.1)
    loss_on, grad_on, eval_on, seen_on = step(cell, True, monkeypatch, scale=0.1)
    assert seen_off > 0 and seen_on == 0
    assert loss_on == loss_off and eval_on == eval_off
    np.testing.assert_allclose(grad_on, grad_off, rtol=EPS32, atol=DROPPED)


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("truncation", [None, 20])
def test_values_in_the_normal_range_give_the_same_bits(cell, truncation, monkeypatch):
    loss_off, grad_off, eval_off, seen_off = step(cell, False, monkeypatch, truncation=truncation)
    loss_on, grad_on, eval_on, _ = step(cell, True, monkeypatch, truncation=truncation)
    assert seen_off == 0
    assert loss_on == loss_off and eval_on == eval_off
    np.testing.assert_array_equal(grad_on, grad_off)


@pytest.mark.parametrize("cell", list(CELLS))
def test_float64_is_untouched_even_with_a_vanishing_signal(cell, monkeypatch):
    """float64's normal range reaches down to 2.2e-308: 150 steps of a vanishing signal stay in it."""
    loss_off, grad_off, eval_off, seen_off = step(cell, False, monkeypatch, scale=0.1, dtype=np.float64)
    loss_on, grad_on, eval_on, _ = step(cell, True, monkeypatch, scale=0.1, dtype=np.float64)
    assert seen_off == 0
    assert loss_on == loss_off and eval_on == eval_off
    np.testing.assert_array_equal(grad_on, grad_off)


def test_float64_gradient_checks_give_the_same_errors():
    from nnlab.models.recurrent import gradcheck

    before = gradcheck()
    with flush_denormals():
        assert gradcheck() == before
