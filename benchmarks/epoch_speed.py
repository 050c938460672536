"""Seconds per training epoch: nnlab against its floor and the same architecture in PyTorch (one thread).

    python benchmarks/epoch_speed.py [--json] [--repeats 3] [--models autoencoder,...] [--baseline FILE]
                                     [--batch-size 32]

Each case builds course-shaped random data, times one epoch of nnlab's training loop with
one BLAS thread, and, when PyTorch is importable (pip install -e '.[bench]'), one epoch of the
same architecture, batch size and optimiser in PyTorch with torch.set_num_threads(1).
The best of --repeats epochs is reported for each. PyTorch is a comparison only.

The recurrent cases (rnn, lstm, gru; -tbptt20: truncated BPTT, k = 20; -eval: one forward
pass over the 2700 windows in the classifier's evaluation chunks) also report the floor:
the same epoch's matrix products alone, same shapes, float32, one thread, no element-wise
work (recurrent_floor). nnlab, the floor, PyTorch and the baseline alternate within each
repeat, so a change in machine load affects all of them alike; compare the ratios.
--baseline FILE times another version of src/nnlab/nn/recurrent.py beside the current one
(e.g. `git show REV:src/nnlab/nn/recurrent.py > /tmp/base.py`), for before/after readings.

Everything runs with subnormal numbers flushed to zero, as every workflow job does
(nnlab.nn.denormals). The -vanishing cases (rnn, lstm, gru) time a backward signal that
vanishes through float32's subnormal range: one training epoch of the classifier whose initial
Wh is scaled by 0.1 (flushed), beside the same classifier unscaled (flushed) and the scaled one
not flushed, alternating within each repeat; then, at the trained weights, the share of
subnormal values in the backward signal (every step's gradient of the pre-activations, da_t)
over 10 batches, not flushed and flushed (untimed), and how far the flushed run's weights are
from the other's after the same epochs.
"""
import argparse
import json
import time

import numpy as np
from threadpoolctl import threadpool_limits

from nnlab.nn.denormals import flush_denormals, subnormal_count
from nnlab.train import fit

CASES = {}


def case(name):
    def register(fn):
        CASES[name] = fn
        return fn
    return register


def best_epoch_seconds(model, optimizer, train, batch_size, repeats):
    result = fit(model, optimizer, train, epochs=repeats, batch_size=batch_size, log=lambda s: None)
    return min(row["seconds"] for row in result.history)


def torch_epochs(torch, module, loss_fn, optimizer, tensors, batch_size, repeats):
    """Best-of-repeats seconds of one shuffled mini-batch epoch in PyTorch."""
    n = len(tensors[0])
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        order = torch.randperm(n)
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(module, *(t[idx] for t in tensors))
            loss.backward()
            optimizer.step()
        best = min(best, time.perf_counter() - start)
    return best


@case("autoencoder")
def autoencoder_case(repeats, torch=None):
    """256-64-256 sparse autoencoder, 10240 patches, batch 32, Adam."""
    from nnlab.models.autoencoder import SparseAutoencoder
    from nnlab.nn.optim import Adam

    x = np.random.default_rng(0).uniform(0.1, 0.9, (10240, 256)).astype(np.float32)
    model = SparseAutoencoder(256, 64, lam=5e-4, beta=0.5, rho=0.05)
    ours = best_epoch_seconds(model, Adam(1e-3), (x, None), 32, repeats)
    if torch is None:
        return {"nnlab": ours}
    nn = torch.nn
    net = nn.Sequential(nn.Linear(256, 64), nn.Sigmoid(), nn.Linear(64, 256), nn.Sigmoid())
    lam, beta, rho = 5e-4, 0.5, 0.05

    def loss_fn(module, xb):
        h = module[1](module[0](xb))
        o = module[3](module[2](h))
        rho_hat = h.mean(0)
        kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
        return (((o - xb) ** 2).sum() / (2 * len(xb)) + lam / 2 * (module[0].weight.pow(2).sum()
                + module[2].weight.pow(2).sum()) + beta * kl.sum())

    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    theirs = torch_epochs(torch, net, loss_fn, opt, (torch.from_numpy(x),), 32, repeats)
    return {"nnlab": ours, "torch": theirs}


@case("language_model")
def language_model_case(repeats, torch=None):
    """(D, P) = (32, 256) trigram model, V = 250, 372,500 samples, batch 200, SGD momentum."""
    from nnlab.models.language_model import LanguageModel
    from nnlab.nn.optim import SGD

    V, D, P, n = 250, 32, 256, 372_500
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, V, (n, 3)), rng.integers(0, V, n)
    model = LanguageModel(V, D, P)
    ours = best_epoch_seconds(model, SGD(0.15, 0.85), (x, y), 200, repeats)
    if torch is None:
        return {"nnlab": ours}
    nn = torch.nn
    net = nn.ModuleList([nn.Embedding(V, D), nn.Linear(D, P), nn.Sigmoid(), nn.Linear(P, V)])

    def loss_fn(module, xb, yb):
        h = module[2](module[1](module[0](xb).sum(1)))
        return nn.functional.cross_entropy(module[3](h), yb)

    opt = torch.optim.SGD(net.parameters(), lr=0.15, momentum=0.85)
    theirs = torch_epochs(torch, net, loss_fn, opt, (torch.from_numpy(x), torch.from_numpy(y)), 200, repeats)
    return {"nnlab": ours, "torch": theirs}


# ------------------------------------------------------------------------- recurrent cases
# 128-unit recurrent layer + 64-64 tanh MLP + softmax over 6 classes, 2700 windows x 150 steps
# x 3 channels, batch 32, SGD lr 0.01 with momentum 0.85 (the course recipe's optimiser).
WINDOWS, STEPS, CHANNELS, HIDDEN, MLP, CLASSES, BATCH, TRUNCATION = 2700, 150, 3, 128, (64, 64), 6, 32, 20
BLOCKS = {"rnn": (1,), "lstm": (4,), "gru": (2, 1)}   # gate blocks per recurrent product (the GRU: z, r and n)


def recurrent_floor(cell, truncation=None, evaluate=False):
    """Seconds of the matrix products alone of one recurrent epoch (evaluate: of one
    evaluation pass in the classifier's chunks), each product into a preallocated output,
    in three layouts; the floor is the fastest (a lower bound whichever layout an
    implementation picks). Per step, forward and backward, with b*H the columns of each
    recurrent product (BLOCKS) and K = H + D + 1:

    batch-major:    h (n, H) @ Wh (H, b*H), da (n, b*H) @ Wh^T, and the input projection
                    x (T*n, D) @ Wx (D, G*H) once;
    feature-major:  Wh^T (b*H, H) @ h^T (H, n), Wh @ da^T, and the input projection;
    folded:         W (b*H, K) @ [h; x_t; 1] (K, n), Wh @ da^T: the input and the bias
                    inside the per-step product, no projection (nnlab's layout);

    and in every layout the MLP's products and the weight gradients over the k kept steps,
    (H, k*n) @ (k*n, G*H) and (D, k*n) @ (k*n, G*H), folded: (K, k*n) @ (k*n, G*H).
    Returns {layout: seconds}."""
    from nnlab.models.recurrent import EVAL_CHUNK

    rng = np.random.default_rng(0)
    T, D, H = STEPS, CHANNELS, HIDDEN
    K = H + D + 1
    blocks = [b * H for b in BLOCKS[cell]]
    GH = sum(blocks)
    k = T if truncation is None else min(truncation, T)
    size = EVAL_CHUNK if evaluate else BATCH
    sizes = [min(size, WINDOWS - i) for i in range(0, WINDOWS, size)]
    layers = [H, *MLP, CLASSES]

    def r(*shape):
        return rng.standard_normal(shape, dtype=np.float32)

    W = [r(a, b) for a, b in zip(layers[:-1], layers[1:])]

    def operands(n, layout):
        """Every operand and output of one batch of n samples, allocated before the timing."""
        rows = K if layout == "folded" else H
        fm = layout != "batch-major"
        return {"layout": layout, "x": r(T * n, D), "Wx": r(D, GH), "A": np.empty((T * n, GH), np.float32),
                "Wh": [r(H, b) for b in blocks], "Wf": [r(b, K) for b in blocks],
                "h": r(rows, n) if fm else r(n, H),
                "out": [np.empty((b, n) if fm else (n, b), np.float32) for b in blocks],
                "dh": np.empty((H, n) if fm else (n, H), np.float32),
                "acts": [r(n, a) for a in layers], "hs": r(rows, k * n), "das": r(k * n, GH)}

    def one_batch(layout, x, Wx, A, Wh, Wf, h, out, dh, acts, hs, das):
        if layout != "folded":
            np.matmul(x, Wx, out=A)
        for _ in range(T):
            for Wj, Fj, o in zip(Wh, Wf, out):
                if layout == "batch-major":
                    np.matmul(h, Wj, out=o)
                elif layout == "feature-major":
                    np.matmul(Wj.T, h, out=o)
                else:
                    np.matmul(Fj, h, out=o)
        for a, Wl in zip(acts[:-1], W):
            a @ Wl
        if evaluate:
            return
        for a, d, Wl in zip(acts[:-1], acts[1:], W):
            d @ Wl.T, a.T @ d
        for _ in range(k):
            for Wj, o in zip(Wh, out):
                if layout == "batch-major":
                    np.matmul(o, Wj.T, out=dh)
                else:
                    np.matmul(Wj, o, out=dh)
        hs @ das
        if layout != "folded":
            x[:das.shape[0]].T @ das

    seconds = {}
    for layout in ("batch-major", "feature-major", "folded"):
        prepared = {n: operands(n, layout) for n in set(sizes)}
        start = time.perf_counter()
        for n in sizes:
            one_batch(**prepared[n])
        seconds[layout] = time.perf_counter() - start
    return seconds


def swap_cells(module):
    """Make nnlab's recurrent classifier use the cells of `module` (a loaded recurrent.py);
    returns the function that puts the current ones back. A forward pass of an older version
    that has no `keep` argument is called without it (keep changes no result)."""
    import inspect

    from nnlab.nn import recurrent

    def accepting_keep(forward):
        if "keep" in inspect.signature(forward).parameters:
            return forward
        return lambda *args, keep=None, **kwargs: forward(*args, **kwargs)

    current = dict(recurrent.CELLS)
    recurrent.CELLS.update({name: (accepting_keep(forward), backward, blocks)
                            for name, (forward, backward, blocks) in module.CELLS.items()})
    return lambda: recurrent.CELLS.update(current)


def torch_recurrent(torch, cell, truncation):
    """The same classifier in PyTorch and its loss; truncated BPTT as the detached graph:
    the first T - k steps without gradient, the last k from their (constant) final state."""
    nn = torch.nn
    layer = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](CHANNELS, HIDDEN, batch_first=True)
    mlp, sizes = [], [HIDDEN, *MLP]
    for a, b in zip(sizes[:-1], sizes[1:]):
        mlp += [nn.Linear(a, b), nn.Tanh()]
    net = nn.ModuleList([layer, nn.Sequential(*mlp, nn.Linear(sizes[-1], CLASSES))])

    def logits(module, xb):
        if truncation is None:
            h = module[0](xb)[0][:, -1]
        else:
            with torch.no_grad():
                state = module[0](xb[:, :-truncation])[1]
            h = module[0](xb[:, -truncation:], state)[0][:, -1]
        return module[1](h)

    def loss_fn(module, xb, yb):
        return nn.functional.cross_entropy(logits(module, xb), yb)

    return net, logits, loss_fn


def recurrent_case(cell, repeats, torch=None, truncation=None, evaluate=False, baseline=None):
    """Best-of-repeats seconds of one epoch (evaluate: one evaluation pass over the windows)
    of nnlab, its floor, PyTorch and the baseline cells, alternating within each repeat."""
    from nnlab.models.recurrent import EVAL_CHUNK, RecurrentClassifier
    from nnlab.nn.optim import SGD

    rng = np.random.default_rng(0)
    x = rng.standard_normal((WINDOWS, STEPS, CHANNELS), dtype=np.float32)
    y = rng.integers(0, CLASSES, WINDOWS)

    def nnlab_runner():
        model = RecurrentClassifier(cell, CHANNELS, HIDDEN, list(MLP), CLASSES, truncation=truncation)
        if evaluate:
            return lambda: timed(lambda: model.evaluate(x, y))
        optimizer = SGD(0.01, 0.85)
        return lambda: best_epoch_seconds(model, optimizer, (x, y), BATCH, 1)

    runners = {"nnlab": nnlab_runner()}
    if baseline is not None:
        restore = swap_cells(baseline)
        try:
            run_baseline = nnlab_runner()
        finally:
            restore()

        def baseline_runner():
            restore = swap_cells(baseline)
            try:
                return run_baseline()
            finally:
                restore()
        runners["baseline"] = baseline_runner
    floors = {}

    def floor_runner():
        for layout, s in recurrent_floor(cell, truncation, evaluate).items():
            floors[layout] = min(floors.get(layout, float("inf")), s)
        return min(floors.values())
    runners["floor"] = floor_runner
    if torch is not None:
        net, logits, loss_fn = torch_recurrent(torch, cell, truncation)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        if evaluate:
            def torch_eval():
                with torch.no_grad():
                    for i in range(0, WINDOWS, EVAL_CHUNK):
                        logits(net, tx[i:i + EVAL_CHUNK])
            runners["torch"] = lambda: timed(torch_eval)
        else:
            opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.85)
            runners["torch"] = lambda: torch_epochs(torch, net, loss_fn, opt, (tx, ty), BATCH, 1)
    best = {name: float("inf") for name in runners}
    for _ in range(repeats):
        for name, run in runners.items():
            best[name] = min(best[name], run())
    best.update({f"floor {layout}": s for layout, s in floors.items()})
    return best


VANISHING = 0.1         # the -vanishing cases' factor on the initial recurrent weights Wh
COUNTED_BATCHES = 10    # batches over which they count subnormal values


def subnormal_share(model, x, y, flush):
    """The share of subnormal values in the backward signal of COUNTED_BATCHES training steps
    (no update): every step's da_t as each chunk of steps reaches the weight-gradient product."""
    from nnlab.nn import recurrent

    add, seen = recurrent._add_stack_grad, [0, 0]

    def counting(dW, stack, da, start, stop, ws, name):
        seen[0] += subnormal_count(da[:, :stop - start])
        seen[1] += da[:, :stop - start].size
        return add(dW, stack, da, start, stop, ws, name)
    recurrent._add_stack_grad = counting
    try:
        with flush_denormals(flush):
            for i in range(0, COUNTED_BATCHES * BATCH, BATCH):
                model.step(x[i:i + BATCH], y[i:i + BATCH])
    finally:
        recurrent._add_stack_grad = add
    return seen[0] / seen[1]


def vanishing_case(cell, repeats):
    """Best-of-repeats seconds of one training epoch of the classifier whose initial Wh is scaled
    by VANISHING, flushed ('nnlab') and not ('unflushed'), and of the unscaled one, flushed
    ('ordinary'); the subnormal shares of the backward signal at the flushed run's final weights,
    unflushed and flushed; the largest difference between the two scaled runs' weights, relative
    to the largest weight."""
    from nnlab.models.recurrent import RecurrentClassifier
    from nnlab.nn.optim import SGD

    rng = np.random.default_rng(0)
    x = rng.standard_normal((WINDOWS, STEPS, CHANNELS), dtype=np.float32)
    y = rng.integers(0, CLASSES, WINDOWS)
    models = {}

    def trainer(name, scale, flush):
        model = models[name] = RecurrentClassifier(cell, CHANNELS, HIDDEN, list(MLP), CLASSES)
        model.params.w["Wh"][...] *= scale
        optimizer = SGD(0.01, 0.85)

        def run():
            with flush_denormals(flush):
                return best_epoch_seconds(model, optimizer, (x, y), BATCH, 1)
        return run

    runners = {"nnlab": trainer("nnlab", VANISHING, True), "ordinary": trainer("ordinary", 1.0, True),
               "unflushed": trainer("unflushed", VANISHING, False)}
    best = {name: float("inf") for name in runners}
    for _ in range(repeats):
        for name, run in runners.items():
            best[name] = min(best[name], run())
    flushed, unflushed = models["nnlab"].params.flat, models["unflushed"].params.flat
    best["weights_rel_diff"] = float(np.max(np.abs(flushed - unflushed)) / np.max(np.abs(unflushed)))
    best["share_unflushed"] = subnormal_share(models["nnlab"], x, y, False)
    best["share_flushed"] = subnormal_share(models["nnlab"], x, y, True)
    return best


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


for _cell in ("rnn", "lstm", "gru"):
    case(_cell)(lambda repeats, torch=None, baseline=None, cell=_cell:
                recurrent_case(cell, repeats, torch, baseline=baseline))
    case(f"{_cell}-tbptt{TRUNCATION}")(lambda repeats, torch=None, baseline=None, cell=_cell:
                                       recurrent_case(cell, repeats, torch, TRUNCATION, baseline=baseline))
    case(f"{_cell}-eval")(lambda repeats, torch=None, baseline=None, cell=_cell:
                          recurrent_case(cell, repeats, torch, evaluate=True, baseline=baseline))
    case(f"{_cell}-vanishing")(lambda repeats, torch=None, cell=_cell: vanishing_case(cell, repeats))


def load_module(path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("baseline_recurrent", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    global BATCH
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", default=",".join(CASES), help="comma-separated: " + ", ".join(CASES))
    parser.add_argument("--baseline", help="another src/nnlab/nn/recurrent.py to time beside the current one")
    parser.add_argument("--batch-size", type=int, default=BATCH,
                        help=f"the recurrent cases' batch size (default {BATCH}): what a recipe's batch costs per epoch")
    args = parser.parse_args()
    BATCH = args.batch_size
    try:
        import torch

        torch.set_num_threads(1)
        torch.manual_seed(0)
    except ImportError:
        torch = None
    baseline = None if args.baseline is None else load_module(args.baseline)
    printed = set()

    def header(kind, line):
        if not args.json and kind not in printed:
            printed.add(kind)
            print(line)

    def cell(v, width, digits, kind="f"):
        return f"{v:{width}.{digits}{kind}}" if v is not None else f"{'-':>{width}s}"

    def ratio(a, b):
        return a / b if a is not None and b else None
    with flush_denormals():
        for name in args.models.split(","):
            vanishing = name.endswith("-vanishing")
            kwargs = ({"baseline": baseline} if baseline is not None and name.split("-")[0] in BLOCKS
                      and not vanishing else {})
            with threadpool_limits(1):
                row = CASES[name](args.repeats, torch, **kwargs)
            if vanishing:
                print_vanishing(name, row, args.json, header, cell)
                continue
            ours, floor, theirs, base = row["nnlab"], row.get("floor"), row.get("torch"), row.get("baseline")
            if args.json:
                print(json.dumps({"model": name, **{f"{k}_s": round(v, 4) for k, v in row.items()},
                                  "nnlab/floor": ratio(ours, floor), "nnlab/torch": ratio(ours, theirs),
                                  "torch/floor": ratio(theirs, floor), "baseline/floor": ratio(base, floor)}),
                      flush=True)
            else:
                header("epoch", f"{'model':<16s}{'nnlab s':>9s}{'floor s':>9s}{'/floor':>8s}{'torch s':>9s}"
                                f"{'/torch':>8s}{'torch/floor':>12s}"
                                + (f"{'baseline s':>11s}{'/floor':>8s}" if baseline else ""))
                print(f"{name:<16s}{cell(ours, 9, 3)}{cell(floor, 9, 3)}{cell(ratio(ours, floor), 8, 2)}"
                      f"{cell(theirs, 9, 3)}{cell(ratio(ours, theirs), 8, 2)}{cell(ratio(theirs, floor), 12, 2)}"
                      + (f"{cell(base, 11, 3)}{cell(ratio(base, floor), 8, 2)}" if baseline else ""), flush=True)


def print_vanishing(name, row, as_json, header, cell):
    """One -vanishing row: seconds flushed, ordinary, unflushed; their ratios; subnormal shares."""
    ours, ordinary, unflushed = row["nnlab"], row["ordinary"], row["unflushed"]
    if as_json:
        print(json.dumps({"model": name, **{f"{k}_s": round(row[k], 4) for k in ("nnlab", "ordinary", "unflushed")},
                          "nnlab/ordinary": ours / ordinary, "unflushed/ordinary": unflushed / ordinary,
                          **{k: row[k] for k in ("share_unflushed", "share_flushed", "weights_rel_diff")}}),
              flush=True)
        return
    header("vanishing", f"{'model':<16s}{'nnlab s':>9s}{'ordinary s':>11s}{'/ordinary':>10s}"
                        f"{'unflushed s':>12s}{'/ordinary':>10s}{'subnormal unflushed':>20s}{'flushed':>9s}"
                        f"{'weights differ':>15s}")
    print(f"{name:<16s}{cell(ours, 9, 3)}{cell(ordinary, 11, 3)}{cell(ours / ordinary, 10, 2)}"
          f"{cell(unflushed, 12, 3)}{cell(unflushed / ordinary, 10, 2)}"
          f"{row['share_unflushed']:>19.2%} {row['share_flushed']:>8.2%}{cell(row['weights_rel_diff'], 15, 1, 'e')}",
          flush=True)


if __name__ == "__main__":
    main()
