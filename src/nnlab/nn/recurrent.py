"""Recurrent layers: vanilla tanh RNN, LSTM and GRU, each a forward/backward pair.

Layout is time-major. Shapes: T steps, N samples, D inputs, H hidden units, G gate
blocks (RNN 1, GRU 3, LSTM 4). Every cell keeps its weights fused:

    Wx (D, G*H)   input weights of all gate blocks
    Wh (H, G*H)   recurrent weights of all gate blocks
    b  (G*H,)     biases

`*_forward(x (T, N, D), Wx, Wh, b, h0=None[, c0=None], ws=None)` returns
(h (T, N, H), cache): h[t] is the hidden state after step t; the state before step 0
is h0 (zeros when None). The input projection of all T steps is one matrix product
before the loop; each step then adds h_{t-1} @ Wh.

`*_backward(dh_last (N, H), cache, k=None)` returns (dWx, dWh, db), the gradients of a
loss that depends on the last hidden state h[T-1] only (the classifiers use nothing
else). k = None is full back-propagation through time; an integer k is truncated BPTT:
the gradient flows back through the last k steps only, which is the exact gradient of
the graph in which the state entering step T-k (h[T-k-1], and the LSTM's cell state) is
a constant. The weight gradients are accumulated after the loop with one matrix
product over all (kept) steps: dWh = stack(h_{t-1})^T @ stack(da_t).

`ws` is an nnlab.nn.workspace.Workspace: the scratch arrays are allocated once and reused
by every batch, so the step loops allocate nothing. The cache refers to the workspace, so run a
backward pass before the next forward pass on the same workspace.
"""
import numpy as np

from nnlab.nn.layers import sigmoid, sigmoid_grad, tanh_grad
from nnlab.nn.workspace import Workspace


def _start(x, Wx, Wh, b, h0, ws, gates, name):
    """Shared set-up: the input projection of all steps A (T, N, G*H) and the state buffer
    h (T+1, N, H) with h[0] = h0; h[t+1] will hold the state after step t."""
    T, N, D = x.shape
    H = Wh.shape[0]
    ws = Workspace() if ws is None else ws
    A = ws.get(f"{name}.A", (T, N, gates * H), Wh.dtype)
    np.matmul(x.reshape(T * N, D), Wx, out=A.reshape(T * N, gates * H))
    A += b
    h = ws.get(f"{name}.h", (T + 1, N, H), Wh.dtype)
    h[0] = 0 if h0 is None else h0
    return T, N, H, ws, A, h


def _window(T, k):
    """The steps gradients flow through: the last k (all when k is None or >= T)."""
    return T if k is None else min(int(k), T)


# --------------------------------------------------------------------------- vanilla RNN


def rnn_forward(x, Wx, Wh, b, h0=None, ws=None):
    """h_t = tanh(x_t Wx + h_{t-1} Wh + b).  x (T, N, D) -> h (T, N, H), cache."""
    T, N, H, ws, A, h = _start(x, Wx, Wh, b, h0, ws, 1, "rnn")
    for t in range(T):
        np.matmul(h[t], Wh, out=h[t + 1])
        h[t + 1] += A[t]
        np.tanh(h[t + 1], out=h[t + 1])
    return h[1:], (x, Wh, h, ws)


def rnn_backward(dh_last, cache, k=None):
    """dh_last (N, H) -> dWx (D, H), dWh (H, H), db (H,); BPTT over the last k steps."""
    x, Wh, h, ws = cache
    T, N, D = x.shape
    H = Wh.shape[0]
    k = _window(T, k)
    dA = ws.get("rnn.dA", (T, N, H), Wh.dtype)
    dh = ws.get("rnn.dh", (N, H), Wh.dtype)
    dh[...] = dh_last
    for t in range(T - 1, T - k - 1, -1):
        da = dA[t]
        tanh_grad(h[t + 1], out=da)
        da *= dh                                   # through tanh
        if t > T - k:
            np.matmul(da, Wh.T, out=dh)            # into h_{t-1}
    return _weight_grads(x, h, dA, T - k)


def _weight_grads(x, h, dA, first):
    """Gradients of Wx, Wh, b summed over steps first..T-1 with one product each."""
    T, N, D = x.shape
    H, GH = h.shape[2], dA.shape[2]
    da = dA[first:].reshape(-1, GH)
    return (x[first:].reshape(-1, D).T @ da, h[first:T].reshape(-1, H).T @ da, da.sum(axis=0))


# ----------------------------------------------------------------------------------- LSTM
# Gate blocks in the fused matrices: [i, f, o, g] (the three sigmoid gates side by side).


def lstm_forward(x, Wx, Wh, b, h0=None, c0=None, ws=None):
    """i, f, o = sigmoid(.), g = tanh(.) of x_t Wx + h_{t-1} Wh + b;
    c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t).  x (T, N, D) -> h (T, N, H), cache."""
    T, N, H, ws, A, h = _start(x, Wx, Wh, b, h0, ws, 4, "lstm")
    c = ws.get("lstm.c", (T + 1, N, H), Wh.dtype)      # c[t+1]: cell state after step t
    tc = ws.get("lstm.tc", (T, N, H), Wh.dtype)        # tanh(c_t)
    tmp = ws.get("lstm.tmp", (N, 4 * H), Wh.dtype)
    ig = ws.get("lstm.ig", (N, H), Wh.dtype)
    c[0] = 0 if c0 is None else c0
    # one tanh for all four blocks: sigmoid(z) = (1 + tanh(z / 2)) / 2 for i, f, o; tanh for g
    scale = np.repeat(np.array([0.5, 0.5, 0.5, 1], Wh.dtype), H)
    for t in range(T):
        a = A[t]
        np.matmul(h[t], Wh, out=tmp)
        a += tmp
        a *= scale
        np.tanh(a, out=a)
        s = a[:, :3 * H]
        s += 1
        s *= 0.5
        i, f, o, g = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        np.multiply(f, c[t], out=c[t + 1])
        np.multiply(i, g, out=ig)
        c[t + 1] += ig
        np.tanh(c[t + 1], out=tc[t])
        np.multiply(o, tc[t], out=h[t + 1])
    return h[1:], (x, Wh, A, h, c, tc, ws)


def lstm_backward(dh_last, cache, k=None):
    """dh_last (N, H) -> dWx (D, 4H), dWh (H, 4H), db (4H,); BPTT over the last k steps."""
    x, Wh, A, h, c, tc, ws = cache
    T, N, D = x.shape
    H = Wh.shape[0]
    k = _window(T, k)
    dA = ws.get("lstm.dA", (T, N, 4 * H), Wh.dtype)
    dh = ws.get("lstm.dh", (N, H), Wh.dtype)
    dc = ws.get("lstm.dc", (N, H), Wh.dtype)
    tmp = ws.get("lstm.tmpH", (N, H), Wh.dtype)
    deriv = ws.get("lstm.deriv", (N, 3 * H), Wh.dtype)
    dh[...] = dh_last
    dc[...] = 0
    for t in range(T - 1, T - k - 1, -1):
        a, da = A[t], dA[t]
        i, f, o, g = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        di, df, do, dg = da[:, :H], da[:, H:2 * H], da[:, 2 * H:3 * H], da[:, 3 * H:]
        # h_t = o * tanh(c_t)
        np.multiply(dh, tc[t], out=do)
        tanh_grad(tc[t], out=tmp)
        tmp *= o
        tmp *= dh
        dc += tmp
        # c_t = f * c_{t-1} + i * g
        np.multiply(dc, g, out=di)
        np.multiply(dc, c[t], out=df)
        np.multiply(dc, i, out=dg)
        dc *= f                                    # into c_{t-1}
        # gate non-linearities: sigmoid' = s (1 - s), tanh' = 1 - g^2
        da[:, :3 * H] *= sigmoid_grad(a[:, :3 * H], out=deriv)
        tanh_grad(g, out=tmp)
        dg *= tmp
        if t > T - k:
            np.matmul(da, Wh.T, out=dh)            # into h_{t-1}
    return _weight_grads(x, h, dA, T - k)


# ------------------------------------------------------------------------------------ GRU
# Gate blocks: [z, r, n]. z is the update gate in the convention of Cho et al. (2014) and
# PyTorch: z = 1 keeps the old state, h_t = (1 - z) * n + z * h_{t-1}. The reset gate
# acts on the state before the product with the recurrent weights (Cho et al.):
# n = tanh(x_t Wx_n + (r * h_{t-1}) Wh_n + b_n).


def gru_forward(x, Wx, Wh, b, h0=None, ws=None):
    """z, r = sigmoid(x_t Wx_zr + h_{t-1} Wh_zr + b_zr); n = tanh(x_t Wx_n + (r * h_{t-1}) Wh_n + b_n);
    h_t = (1 - z) * n + z * h_{t-1}.  x (T, N, D) -> h (T, N, H), cache."""
    T, N, H, ws, A, h = _start(x, Wx, Wh, b, h0, ws, 3, "gru")
    rh = ws.get("gru.rh", (T, N, H), Wh.dtype)         # r_t * h_{t-1}
    tmp2 = ws.get("gru.tmp2", (N, 2 * H), Wh.dtype)
    tmp = ws.get("gru.tmp", (N, H), Wh.dtype)
    Wzr, Wn = Wh[:, :2 * H], Wh[:, 2 * H:]
    for t in range(T):
        a = A[t]
        zr, z, r, n = a[:, :2 * H], a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
        np.matmul(h[t], Wzr, out=tmp2)
        zr += tmp2
        sigmoid(zr, out=zr)
        np.multiply(r, h[t], out=rh[t])
        np.matmul(rh[t], Wn, out=tmp)
        n += tmp
        np.tanh(n, out=n)
        np.subtract(h[t], n, out=h[t + 1])
        h[t + 1] *= z
        h[t + 1] += n
    return h[1:], (x, Wh, A, h, rh, ws)


def gru_backward(dh_last, cache, k=None):
    """dh_last (N, H) -> dWx (D, 3H), dWh (H, 3H), db (3H,); BPTT over the last k steps."""
    x, Wh, A, h, rh, ws = cache
    T, N, D = x.shape
    H = Wh.shape[0]
    k = _window(T, k)
    dA = ws.get("gru.dA", (T, N, 3 * H), Wh.dtype)
    dh = ws.get("gru.dh", (N, H), Wh.dtype)
    drh = ws.get("gru.drh", (N, H), Wh.dtype)
    tmp = ws.get("gru.tmpH", (N, H), Wh.dtype)
    deriv = ws.get("gru.deriv", (N, 2 * H), Wh.dtype)
    Wzr, Wn = Wh[:, :2 * H], Wh[:, 2 * H:]
    dh[...] = dh_last
    for t in range(T - 1, T - k - 1, -1):
        a, da = A[t], dA[t]
        zr, z, r, n = a[:, :2 * H], a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
        dzr, dz, dr, dn = da[:, :2 * H], da[:, :H], da[:, H:2 * H], da[:, 2 * H:]
        # h_t = n + z * (h_{t-1} - n)
        np.subtract(h[t], n, out=dz)
        dz *= dh
        np.subtract(1, z, out=dn)
        dn *= dh
        tanh_grad(n, out=tmp)
        dn *= tmp                                  # through tanh
        np.matmul(dn, Wn.T, out=drh)               # d(r * h_{t-1})
        np.multiply(drh, h[t], out=dr)
        dzr *= sigmoid_grad(zr, out=deriv)         # through the sigmoids
        if t > T - k:                              # into h_{t-1}: direct, via r * h, via the gates
            dh *= z
            drh *= r
            dh += drh
            np.matmul(dzr, Wzr.T, out=tmp)
            dh += tmp
    first = T - k
    dAk = dA[first:].reshape(-1, 3 * H)
    dWh = np.empty_like(Wh)
    np.matmul(h[first:T].reshape(-1, H).T, dAk[:, :2 * H], out=dWh[:, :2 * H])
    np.matmul(rh[first:].reshape(-1, H).T, dAk[:, 2 * H:], out=dWh[:, 2 * H:])
    return x[first:].reshape(-1, D).T @ dAk, dWh, dAk.sum(axis=0)


# name -> (forward, backward, gate blocks)
CELLS = {
    "rnn": (rnn_forward, rnn_backward, 1),
    "lstm": (lstm_forward, lstm_backward, 4),
    "gru": (gru_forward, gru_backward, 3),
}
