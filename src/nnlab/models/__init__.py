"""The models. Every one follows the same protocol, which nnlab.train.fit and the app rely on:

    model.params                 a Params: flat float32 weights and their gradients
    model.step(x, y)             forward and backward on a batch; fills params.grad with the
                                 gradient of loss + penalty(); returns (loss, n correct or None)
    model.sample_scores(x, y)    per-sample scores, one chunked forward pass (nnlab.nn.workspace.in_chunks)
    model.evaluate(x, y)         (mean loss, accuracy or None) from sample_scores; no gradients
    model.penalty()              the L2 weight-decay term (nnlab.nn.layers.L2Penalty)
    model.save_arrays()          everything needed to rebuild it, for np.savez; 'model' names the class
    Model.from_arrays(arrays)    the model again, from those arrays
    model.epoch_extras()         optional: extra history columns for the epoch just run

`save(path, model)` writes params.npz atomically; `load(path)` rebuilds any model from one.
"""
from nnlab.errors import DataError, reason
from nnlab.io import NPZ_ERRORS, read_npz
from nnlab.tasks import TASKS


MODELS = {name: task.model_class for name, task in TASKS.items()}


def save(path, model):
    """params.npz with everything load() needs (written atomically)."""
    from nnlab.io import save_npz

    save_npz(path, **model.save_arrays())


def load(path):
    """The trained model saved in params.npz at `path` (every array checked from its header, then
    read with allow_pickle=False)."""
    try:
        arrays = read_npz(path)
    except NPZ_ERRORS as error:
        raise DataError(f"{path}: expected a params.npz written by nnlab, found an unreadable file "
                        f"({reason(error)})") from None
    kind = str(arrays["model"]) if "model" in arrays else None
    if kind not in MODELS:
        raise DataError(f"{path}: key 'model': expected one of {', '.join(MODELS)}, found "
                        + ("none (saved by an older nnlab: rerun the workflow)" if kind is None else repr(kind)))
    try:
        return MODELS[kind].from_arrays(arrays, source=str(path))
    except (ValueError, TypeError, IndexError) as error:
        raise DataError(f"{path}: expected the arrays of a {kind} model, found {error}") from None
