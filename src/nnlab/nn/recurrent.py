"""Recurrent layers: vanilla tanh RNN, LSTM and GRU, each a forward/backward pair.

Shapes: T steps, N samples, D inputs, H hidden units, G gate blocks (RNN 1, GRU 3, LSTM 4),
K = H + D + 1. Every cell keeps its weights fused:

    Wx (D, G*H)   input weights of all gate blocks
    Wh (H, G*H)   recurrent weights of all gate blocks
    b  (G*H,)     biases

`*_forward(x (T, N, D), Wx, Wh, b, h0=None[, c0=None], ws=None, keep=None)` returns
(h (T, N, H), cache): h[t] is the hidden state after step t; the state before step 0
is h0 (zeros when None). keep: the number of last steps a backward pass may go through
(None: all; the truncation k when training with truncated BPTT; 0 when only evaluating).
The LSTM and GRU keep what their backward pass reads only for those steps and work in two
alternating slots for the others, which stay in cache (docs/performance.md); the results
are the same.

`*_backward(dh_last (N, H), cache, k=None, norms=None)` returns (dWx, dWh, db), the
gradients of a loss J that depends on the last hidden state h[T-1] only (the classifiers use
nothing else). k = None is full back-propagation through time; an integer k is truncated
BPTT: the gradient flows back through the last k steps only, which is the exact gradient of
the graph in which the state entering step T-k (h[T-k-1], and the LSTM's cell state) is
a constant. norms, an array (T, N) (float64, or the weights' dtype), receives for each step t
the pass goes through the per-sample Euclidean norm of dJ/dh_t, the gradient with respect to
the state after step t (the LSTM's with its cell state c_t held fixed): norms[t, n] =
||dh_t[n]||, computed in norms' dtype without underflow. The rows of the steps not gone
through are left as they were.

Layout (docs/performance.md measures why). Inside the pair every array is feature-major,
the transpose of the public (N, features) arrays, and step-major: step t's block is one
contiguous array, and so is each (H, N) gate block of it. NumPy's element-wise passes over
such arrays cost a fraction of the same passes over the (N, H) column blocks of an
(N, G*H) array, or over blocks whose rows lie far apart in memory.

    hx    (T+1, K, N)   hx[t] = [h_{t-1}; x_t; 1]: one product per step,
                        W (G*H, K) @ hx[t] = (x_t Wx + h_{t-1} Wh + b)^T, with no separate
                        input projection and no add; h_t goes into hx[t+1, :H].
    gates (T, G*H, N)   the activated gate blocks of each step.

The backward pass runs over the kept steps in chunks of CHUNK steps, the last chunk first.
It forms each step's gradients of the pre-activations da_t (G*H, N) in a scratch array,
copies them into da (G*H, CHUNK, N), time-inner and small enough to stay in cache, and
after each chunk adds the chunk's share of the weight gradients
dW (K, G*H) = sum_t hx[t] @ da_t^T (dWh, dWx and db at once) with one product,
(K, CHUNK*N) @ (CHUNK*N, G*H), of hx's chunk copied time-inner and da (_add_stack_grad).
The backward pass writes nothing of size T.

The LSTM's and GRU's sigmoid gates use sigmoid(z) = (1 + tanh(z / 2)) / 2 with the 1/2 folded
into the rows of W (exact: a power of two), so one np.tanh covers all gate blocks.

`ws` is an nnlab.nn.workspace.Workspace: the scratch arrays are allocated once and reused
by every batch, so the step loops allocate nothing. The cache and the returned h refer to
the workspace, so run a backward pass before the next forward pass on the same workspace.
"""
import numpy as np

from nnlab.nn.layers import sigmoid_grad, tanh_grad
from nnlab.nn.workspace import Workspace

CHUNK = 8   # steps per weight-gradient product in the backward passes


def _start(x, Wx, Wh, b, h0, ws, name, blocks, halved=0):
    """Shared set-up. Returns T, N, H, ws, the stacked weights W (blocks*H, K) of the first
    `blocks` gate blocks, the first `halved` of them scaled by 1/2, and hx (T+1, K, N) with
    the inputs, the row of ones and h0 in place."""
    T, N, D = x.shape
    H = Wh.shape[0]
    ws = Workspace() if ws is None else ws
    W = ws.get(f"{name}.W", (blocks * H, H + D + 1), Wh.dtype)
    W[:, :H], W[:, H:H + D], W[:, H + D] = Wh[:, :blocks * H].T, Wx[:, :blocks * H].T, b[:blocks * H]
    W[:halved * H] *= 0.5
    hx = ws.get(f"{name}.hx", (T + 1, H + D + 1, N), Wh.dtype)
    hx[0, :H] = 0 if h0 is None else h0.T
    hx[:T, H:H + D] = x.transpose(0, 2, 1)
    hx[:, H + D] = 1
    return T, N, H, ws, W, hx


def _states(hx, H):
    """The public view h (T, N, H) of the states h_0..h_{T-1} kept in hx[1:, :H]."""
    return hx[1:, :H].transpose(0, 2, 1)


def _window(T, k, first=0):
    """The steps gradients flow through: the last k (all when k is None or >= T). first: the
    first step whose intermediates the forward pass kept."""
    k = T if k is None else min(int(k), T)
    if T - k < first:
        raise ValueError(f"backward pass through the last {k} steps, but the forward pass kept the last "
                         f"{T - first} only (its keep argument)")
    return k


def _first_kept(T, keep):
    """The first step whose intermediates the forward pass keeps for the backward pass."""
    return 0 if keep is None else max(T - int(keep), 0)


def _slot(t, first):
    """Where step t's intermediates go: their own place from step `first` on, one of two
    alternating slots before (their places 0 and 1 are free: those steps are not kept)."""
    return t if t >= first else t % 2


def _chunks(T, k):
    """The kept steps T-k..T-1 as (start, stop) chunks of at most CHUNK steps, the last first."""
    return [(max(stop - CHUNK, T - k), stop) for stop in range(T, T - k, -CHUNK)]


def _add_stack_grad(dW, stack, da, start, stop, ws, name):
    """dW (K, G*H) += sum over the steps t = start..stop-1 of stack[t] (K, N) @ da[:, t - start]^T:
    one product of stack's steps copied time-inner, (K, n*N), and da[:, :n] (G*H, n*N)
    transposed, n = stop - start."""
    n, (K, N), GH = stop - start, stack.shape[1:], da.shape[0]
    chunk = ws.get(f"{name}.stack_chunk", (K, CHUNK, N), da.dtype)[:, :n]
    np.copyto(chunk, stack[start:stop].transpose(1, 0, 2))
    part = ws.get(f"{name}.dW_part", dW.shape, dW.dtype)
    np.matmul(chunk.reshape(K, n * N), da[:, :n].reshape(GH, n * N).T, out=part)
    np.add(dW, part, out=dW)


def _record_norm(norms, t, dh):
    """norms[t] (N,) = the Euclidean norm of each column of dh (H, N), in norms' dtype; each
    column divided by its largest magnitude first, so that no square underflows (a vanishing
    signal's norm is read down to the dtype's normal range) or overflows."""
    d = dh.astype(norms.dtype)
    scale = np.abs(d).max(axis=0)
    scale[scale == 0] = 1
    d /= scale
    np.sqrt(np.einsum("hn,hn->n", d, d), out=norms[t])
    norms[t] *= scale


def _split(dW, H):
    """The stacked gradient dW (K, G*H) as dWx (D, G*H), dWh (H, G*H), db (G*H,)."""
    return dW[H:-1], dW[:H], dW[-1]


# --------------------------------------------------------------------------- vanilla RNN


def rnn_forward(x, Wx, Wh, b, h0=None, ws=None, keep=None):
    """h_t = tanh(x_t Wx + h_{t-1} Wh + b).  x (T, N, D) -> h (T, N, H), cache.
    keep makes no difference: the RNN keeps nothing but its states, which it needs anyway."""
    T, N, H, ws, W, hx = _start(x, Wx, Wh, b, h0, ws, "rnn", 1)
    for t in range(T):
        h = hx[t + 1, :H]
        np.matmul(W, hx[t], out=h)
        np.tanh(h, out=h)
    return _states(hx, H), (x, Wh, hx, ws)


def rnn_backward(dh_last, cache, k=None, norms=None):
    """dh_last (N, H) -> dWx (D, H), dWh (H, H), db (H,); BPTT over the last k steps;
    norms (T, N): ||dJ/dh_t|| per sample of each step gone through (module docstring)."""
    x, Wh, hx, ws = cache
    T, N, D = x.shape
    H = Wh.shape[0]
    k = _window(T, k)
    da = ws.get("rnn.da", (H, CHUNK, N), Wh.dtype)
    da_t = ws.get("rnn.da_t", (H, N), Wh.dtype)
    dh = ws.get("rnn.dh", (H, N), Wh.dtype)
    dW = np.zeros((H + D + 1, H), Wh.dtype)
    dh[...] = dh_last.T
    for start, stop in _chunks(T, k):
        for t in range(stop - 1, start - 1, -1):
            if norms is not None:
                _record_norm(norms, t, dh)
            h = hx[t + 1, :H]
            tanh_grad(h, out=da_t)
            np.multiply(da_t, dh, out=da_t)        # through tanh: (1 - h_t^2) dh
            if t > T - k:
                np.matmul(Wh, da_t, out=dh)        # into h_{t-1}
            np.copyto(da[:, t - start], da_t)
        _add_stack_grad(dW, hx, da, start, stop, ws, "rnn")
    return _split(dW, H)


# ----------------------------------------------------------------------------------- LSTM
# Gate blocks in the fused matrices: [i, f, o, g] (the three sigmoid gates side by side).


def lstm_forward(x, Wx, Wh, b, h0=None, c0=None, ws=None, keep=None):
    """i, f, o = sigmoid(.), g = tanh(.) of x_t Wx + h_{t-1} Wh + b;
    c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t).  x (T, N, D) -> h (T, N, H), cache.
    cache[4] is the cell state c (T+1, N, H): c[t+1] after step t (for the kept steps and the
    last), c[0] = c0."""
    T, N, H, ws, W, hx = _start(x, Wx, Wh, b, h0, ws, "lstm", 4, halved=3)
    dtype = Wh.dtype
    gates = ws.get("lstm.gates", (T, 4 * H, N), dtype)
    c = ws.get("lstm.c", (T + 1, H, N), dtype)         # c[t+1]: cell state after step t
    tc = ws.get("lstm.tc", (T, H, N), dtype)           # tanh(c_t)
    ig = ws.get("lstm.ig", (H, N), dtype)
    first = _first_kept(T, keep)
    c[_slot(0, first)] = 0 if c0 is None else c0.T
    for t in range(T):
        j, j1 = _slot(t, first), _slot(t + 1, first)
        a = gates[j]
        np.matmul(W, hx[t], out=a)                 # [z_i/2, z_f/2, z_o/2, z_g]
        np.tanh(a, out=a)
        s = a[:3 * H]
        np.add(s, 1, out=s)
        np.multiply(s, 0.5, out=s)                 # sigmoid(z) = (1 + tanh(z / 2)) / 2
        i, f, o, g = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
        np.multiply(f, c[j], out=c[j1])
        np.multiply(i, g, out=ig)
        np.add(c[j1], ig, out=c[j1])
        np.tanh(c[j1], out=tc[j])
        np.multiply(o, tc[j], out=hx[t + 1, :H])
    return _states(hx, H), (x, Wh, hx, gates, c.transpose(0, 2, 1), tc, ws, first)


def lstm_backward(dh_last, cache, k=None, norms=None):
    """dh_last (N, H) -> dWx (D, 4H), dWh (H, 4H), db (4H,); BPTT over the last k steps;
    norms (T, N): ||dJ/dh_t|| per sample of each step gone through (module docstring)."""
    x, Wh, hx, gates, c, tc, ws, first = cache
    c = c.transpose(0, 2, 1)                       # back to (T+1, H, N)
    T, N, D = x.shape
    H = Wh.shape[0]
    k = _window(T, k, first)
    dtype = Wh.dtype
    da = ws.get("lstm.da", (4 * H, CHUNK, N), dtype)
    da_t = ws.get("lstm.da_t", (4 * H, N), dtype)
    di, df, do, dg = da_t[:H], da_t[H:2 * H], da_t[2 * H:3 * H], da_t[3 * H:]
    dh = ws.get("lstm.dh", (H, N), dtype)
    dc = ws.get("lstm.dc", (H, N), dtype)
    tmp = ws.get("lstm.tmp", (H, N), dtype)
    deriv = ws.get("lstm.deriv", (3 * H, N), dtype)
    dW = np.zeros((H + D + 1, 4 * H), dtype)
    dh[...] = dh_last.T
    dc[...] = 0
    for start, stop in _chunks(T, k):
        for t in range(stop - 1, start - 1, -1):
            if norms is not None:
                _record_norm(norms, t, dh)
            a = gates[t]
            i, f, o, g = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
            sigmoid_grad(a[:3 * H], out=deriv)     # of i, f, o
            # h_t = o * tanh(c_t)
            np.multiply(dh, tc[t], out=tmp)
            np.multiply(tmp, deriv[2 * H:], out=do)
            np.multiply(tmp, tc[t], out=tmp)       # dh tanh(c)^2
            np.subtract(dh, tmp, out=tmp)
            np.multiply(tmp, o, out=tmp)           # dh o (1 - tanh(c)^2)
            np.add(dc, tmp, out=dc)
            # c_t = f * c_{t-1} + i * g
            np.multiply(dc, g, out=tmp)
            np.multiply(tmp, deriv[:H], out=di)
            np.multiply(dc, c[t], out=tmp)
            np.multiply(tmp, deriv[H:2 * H], out=df)
            tanh_grad(g, out=tmp)
            np.multiply(tmp, i, out=tmp)
            np.multiply(tmp, dc, out=dg)
            if t > T - k:
                np.multiply(dc, f, out=dc)         # into c_{t-1}
                np.matmul(Wh, da_t, out=dh)        # into h_{t-1}
            np.copyto(da[:, t - start], da_t)
        _add_stack_grad(dW, hx, da, start, stop, ws, "lstm")
    return _split(dW, H)


# ------------------------------------------------------------------------------------ GRU
# Gate blocks: [z, r, n]. z is the update gate in the convention of Cho et al. (2014) and
# PyTorch: z = 1 keeps the old state, h_t = (1 - z) * n + z * h_{t-1}. The reset gate
# acts on the state before the product with the recurrent weights (Cho et al.):
# n = tanh(x_t Wx_n + (r * h_{t-1}) Wh_n + b_n).


def gru_forward(x, Wx, Wh, b, h0=None, ws=None, keep=None):
    """z, r = sigmoid(x_t Wx_zr + h_{t-1} Wh_zr + b_zr); n = tanh(x_t Wx_n + (r * h_{t-1}) Wh_n + b_n);
    h_t = (1 - z) * n + z * h_{t-1}.  x (T, N, D) -> h (T, N, H), cache.

    Two stacks: hx (T+1, K, N) feeds the z, r product (weights Wzr (2H, K)), rx (T, K, N),
    rx[t] = [r_t * h_{t-1}; x_t; 1], the n product (weights Wn (H, K))."""
    T, N, H, ws, Wzr, hx = _start(x, Wx, Wh, b, h0, ws, "gru", 2, halved=2)
    dtype = Wh.dtype
    D = x.shape[2]
    Wn = ws.get("gru.Wn", (H, H + D + 1), dtype)
    Wn[:, :H], Wn[:, H:H + D], Wn[:, H + D] = Wh[:, 2 * H:].T, Wx[:, 2 * H:].T, b[2 * H:]
    rx = ws.get("gru.rx", (T, H + D + 1, N), dtype)
    rx[:, H:] = hx[:T, H:]
    gates = ws.get("gru.gates", (T, 3 * H, N), dtype)
    tmp = ws.get("gru.tmp", (H, N), dtype)
    first = _first_kept(T, keep)
    for t in range(T):
        a, h = gates[_slot(t, first)], hx[t, :H]
        zr, z, r, n = a[:2 * H], a[:H], a[H:2 * H], a[2 * H:]
        np.matmul(Wzr, hx[t], out=zr)              # [z_z/2, z_r/2]
        np.tanh(zr, out=zr)
        np.add(zr, 1, out=zr)
        np.multiply(zr, 0.5, out=zr)
        np.multiply(r, h, out=rx[t, :H])
        np.matmul(Wn, rx[t], out=n)
        np.tanh(n, out=n)
        np.subtract(h, n, out=tmp)
        np.multiply(z, tmp, out=tmp)
        np.add(n, tmp, out=hx[t + 1, :H])          # h_t = n + z (h_{t-1} - n)
    return _states(hx, H), (x, Wh, hx, rx, gates, ws, first)


def gru_backward(dh_last, cache, k=None, norms=None):
    """dh_last (N, H) -> dWx (D, 3H), dWh (H, 3H), db (3H,); BPTT over the last k steps;
    norms (T, N): ||dJ/dh_t|| per sample of each step gone through (module docstring)."""
    x, Wh, hx, rx, gates, ws, first = cache
    T, N, D = x.shape
    H = Wh.shape[0]
    k = _window(T, k, first)
    dtype = Wh.dtype
    da = ws.get("gru.da", (3 * H, CHUNK, N), dtype)
    da_t = ws.get("gru.da_t", (3 * H, N), dtype)
    dzr, dz, dr, dn = da_t[:2 * H], da_t[:H], da_t[H:2 * H], da_t[2 * H:]
    dh = ws.get("gru.dh", (H, N), dtype)
    drh = ws.get("gru.drh", (H, N), dtype)
    tmp = ws.get("gru.tmp", (H, N), dtype)
    deriv = ws.get("gru.deriv", (2 * H, N), dtype)
    Wzr, Wn = Wh[:, :2 * H], Wh[:, 2 * H:]
    dWzr, dWn = np.zeros((H + D + 1, 2 * H), dtype), np.zeros((H + D + 1, H), dtype)
    dh[...] = dh_last.T
    for start, stop in _chunks(T, k):
        for t in range(stop - 1, start - 1, -1):
            if norms is not None:
                _record_norm(norms, t, dh)
            a, h = gates[t], hx[t, :H]
            zr, z, r, n = a[:2 * H], a[:H], a[H:2 * H], a[2 * H:]
            sigmoid_grad(zr, out=deriv)            # of z and r
            # h_t = n + z (h_{t-1} - n)
            np.subtract(h, n, out=tmp)
            np.multiply(tmp, dh, out=tmp)
            np.multiply(tmp, deriv[:H], out=dz)
            tanh_grad(n, out=tmp)
            np.multiply(tmp, dh, out=tmp)
            np.subtract(1, z, out=drh)
            np.multiply(drh, tmp, out=dn)          # (1 - z) dh (1 - n^2)
            np.matmul(Wn, dn, out=drh)             # d(r * h_{t-1})
            np.multiply(drh, h, out=tmp)
            np.multiply(tmp, deriv[H:], out=dr)
            if t > T - k:                          # into h_{t-1}: direct, via r * h, via the gates
                np.multiply(dh, z, out=dh)
                np.multiply(drh, r, out=drh)
                np.add(dh, drh, out=dh)
                np.matmul(Wzr, dzr, out=tmp)
                np.add(dh, tmp, out=dh)
            np.copyto(da[:, t - start], da_t)
        _add_stack_grad(dWzr, hx, da[:2 * H], start, stop, ws, "gru.zr")
        _add_stack_grad(dWn, rx, da[2 * H:], start, stop, ws, "gru.n")
    return _split(np.concatenate([dWzr, dWn], axis=1), H)


# name -> (forward, backward, gate blocks)
CELLS = {
    "rnn": (rnn_forward, rnn_backward, 1),
    "lstm": (lstm_forward, lstm_backward, 4),
    "gru": (gru_forward, gru_backward, 3),
}
