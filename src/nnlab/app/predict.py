"""Live predictions from saved params.npz, through the library's models (no Streamlit).

load_model(kind, path) rebuilds a trained model; next_words and class_probabilities run it.
"""
import numpy as np


class Unavailable(Exception):
    """The library has no loader for this kind of model (yet)."""


def _arrays(path):
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def load_model(kind, path):
    """A model of `kind` ('language_model' or 'recurrent') from its params.npz."""
    if kind == "language_model":
        try:
            from nnlab.models.language_model import LanguageModel
        except ImportError as error:
            raise Unavailable(f"the language model is not available in this installation ({error})") from None
        return LanguageModel.from_arrays(_arrays(path), source=str(path))
    if kind == "recurrent":
        try:
            from nnlab.models import recurrent
        except ImportError as error:
            raise Unavailable(f"the recurrent classifier is not available in this installation ({error})") from None
        loader = _recurrent_loader(recurrent)
        if loader is None:
            raise Unavailable("nnlab.models.recurrent has no function that rebuilds a model from params.npz")
        import inspect

        arrays = _arrays(path)
        if "source" in inspect.signature(loader).parameters:
            return loader(arrays, source=str(path))
        return loader(arrays)
    raise ValueError(f"kind: expected 'language_model' or 'recurrent', found {kind!r}")


def _recurrent_loader(module):
    """The library's own loader when it has one, else a rebuild from the saved shapes."""
    cls = getattr(module, "RecurrentClassifier", None)
    if cls is not None and hasattr(cls, "from_arrays"):
        return cls.from_arrays
    if cls is not None:
        return lambda arrays, source="params": rebuild_recurrent(module, arrays, source)
    return getattr(module, "from_arrays", None)


def rebuild_recurrent(module, arrays, source="params"):
    """A RecurrentClassifier from params.npz arrays Wx (C, G*H), Wh (H, G*H), b, W1, b1, ..., WL, bL.

    The cell is the saved 'cell' entry when present, else the one whose gate count G the
    shapes imply (RNN 1, GRU 3, LSTM 4); the MLP sizes come from W1..WL. Truncation only
    affects training, so it is not needed to predict."""
    from nnlab.errors import DataError
    from nnlab.nn.recurrent import CELLS

    for key in ("Wx", "Wh", "b", "W1"):
        if key not in arrays:
            raise DataError(f"{source}: key '{key}': expected an array, found none")
    n_in, width = arrays["Wx"].shape
    hidden = arrays["Wh"].shape[0]
    if "cell" in arrays:
        cell = str(arrays["cell"])
    else:
        by_gates = {gates: name for name, (_, _, gates) in CELLS.items()}
        cell = by_gates.get(width // hidden if hidden else 0)
        if cell is None or width % hidden:
            raise DataError(f"{source}: key 'Wx': expected {hidden} x (1, 3 or 4) columns, found {width}")
    layers = 1
    while f"W{layers + 1}" in arrays:
        layers += 1
    mlp = [int(arrays[f"W{i}"].shape[1]) for i in range(1, layers)]
    n_classes = int(arrays[f"W{layers}"].shape[1])
    model = module.RecurrentClassifier(cell, int(n_in), int(hidden), mlp, n_classes,
                                       dtype=arrays["Wx"].dtype)
    model.params.load(arrays, source)
    return model


def next_words(model, context, k=10):
    """context: three word indices -> (indices (k,), probabilities (k,)), most probable first."""
    from nnlab.models.language_model import top_k

    x = np.asarray(context, dtype=np.intp).reshape(1, -1)
    if x.min() < 0 or x.max() >= model.V:
        raise ValueError(f"word index outside the model's vocabulary of {model.V}")
    probs = model.predict_proba(x)
    idx, values = top_k(probs, k)
    return idx[0], values[0].astype(np.float64)


def class_probabilities(model, sequence):
    """sequence (T, C), standardized as in activity.npz -> class probabilities (n_classes,)."""
    x = np.asarray(sequence, dtype=np.float32)[None]
    return np.asarray(model.predict_proba(x), dtype=np.float64)[0]
