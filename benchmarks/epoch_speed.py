"""Seconds per training epoch: nnlab against the same architecture in PyTorch (one thread).

    python benchmarks/epoch_speed.py [--json] [--repeats 3] [--models autoencoder,...]

Each case builds course-shaped random data, times one epoch of nnlab's training loop with
one BLAS thread, and, when PyTorch is importable (pip install -e '.[bench]'), one epoch of the
same architecture, batch size and optimiser in PyTorch with torch.set_num_threads(1).
The best of --repeats epochs is reported for each. PyTorch is a comparison only.
"""
import argparse
import json
import time

import numpy as np
from threadpoolctl import threadpool_limits

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
        return ours, None
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
    return ours, theirs


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
        return ours, None
    nn = torch.nn
    net = nn.ModuleList([nn.Embedding(V, D), nn.Linear(D, P), nn.Sigmoid(), nn.Linear(P, V)])

    def loss_fn(module, xb, yb):
        h = module[2](module[1](module[0](xb).sum(1)))
        return nn.functional.cross_entropy(module[3](h), yb)

    opt = torch.optim.SGD(net.parameters(), lr=0.15, momentum=0.85)
    theirs = torch_epochs(torch, net, loss_fn, opt, (torch.from_numpy(x), torch.from_numpy(y)), 200, repeats)
    return ours, theirs


def recurrent_case(cell, repeats, torch=None):
    """128-unit recurrent layer + 64-64 tanh MLP + softmax, 2700 x 150 x 3, batch 32, full BPTT, SGD momentum.

    nnlab and PyTorch epochs alternate (best of `repeats` each), so a change in machine load
    during the run affects both sides alike."""
    from nnlab.models.recurrent import RecurrentClassifier
    from nnlab.nn.optim import SGD

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((2700, 150, 3)).astype(np.float32), rng.integers(0, 6, 2700)
    model, optimizer = RecurrentClassifier(cell, 3, 128, [64, 64], 6), SGD(0.01, 0.85)
    if torch is None:
        return best_epoch_seconds(model, optimizer, (x, y), 32, repeats), None
    nn = torch.nn
    layer = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](3, 128, batch_first=True)
    net = nn.ModuleList([layer, nn.Sequential(nn.Linear(128, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(),
                                              nn.Linear(64, 6))])

    def loss_fn(module, xb, yb):
        h = module[0](xb)[0][:, -1]
        return nn.functional.cross_entropy(module[1](h), yb)

    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.85)
    tensors = (torch.from_numpy(x), torch.from_numpy(y))
    ours = theirs = float("inf")
    for _ in range(repeats):
        ours = min(ours, best_epoch_seconds(model, optimizer, (x, y), 32, 1))
        theirs = min(theirs, torch_epochs(torch, net, loss_fn, opt, tensors, 32, 1))
    return ours, theirs


for _cell in ("rnn", "lstm", "gru"):
    case(_cell)(lambda repeats, torch=None, cell=_cell: recurrent_case(cell, repeats, torch))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", default=",".join(CASES), help="comma-separated: " + ", ".join(CASES))
    args = parser.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
        torch.manual_seed(0)
    except ImportError:
        torch = None
    if not args.json:
        print(f"{'model':<28s}{'nnlab s':>10s}{'torch s':>10s}{'ratio':>8s}")
    for name in args.models.split(","):
        with threadpool_limits(1):
            ours, theirs = CASES[name](args.repeats, torch)
        ratio = ours / theirs if theirs else None
        if args.json:
            print(json.dumps({"model": name, "nnlab_s": round(ours, 4),
                              "torch_s": None if theirs is None else round(theirs, 4),
                              "ratio": None if ratio is None else round(ratio, 3)}), flush=True)
        else:
            print(f"{name:<28s}{ours:10.3f}{(theirs or float('nan')):10.3f}{(ratio or float('nan')):8.2f}", flush=True)


if __name__ == "__main__":
    main()
