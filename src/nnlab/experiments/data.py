"""Validate the course files and preprocess them into results/data/."""
import numpy as np

from nnlab.data import course, preprocess
from nnlab.figures import save_mosaic, tile
from nnlab.io import save_npz


def prepare_patches(h5_path, out_npz, fig_rgb, fig_normalized, n_figure, seed, log):
    rgb = course.load_patches(h5_path)
    x = preprocess.normalize_patches(rgb)
    log(f"{h5_path}: {len(x)} patches normalized to [{x.min():.3f}, {x.max():.3f}]")
    save_npz(out_npz, x=x)
    shown = np.random.default_rng(seed).choice(len(x), size=min(n_figure, len(x)), replace=False)
    save_mosaic(fig_rgb, tile(np.clip(rgb[shown].transpose(0, 2, 3, 1), 0, 1)),
                title=f"{len(shown)} random patches (RGB)")
    side = rgb.shape[2]
    save_mosaic(fig_normalized, tile(x[shown].reshape(-1, side, side)),
                title="the same patches, normalized")


def prepare_trigrams(h5_path, out_npz, log):
    data = preprocess.prepare_trigrams(course.load_trigrams(h5_path))
    log(f"{h5_path}: {len(data['x_train'])} / {len(data['x_val'])} / {len(data['x_test'])} trigrams "
        f"over {len(data['words'])} words")
    save_npz(out_npz, **data)


def prepare_activity(h5_path, out_npz, val_fraction, seed, log):
    data = preprocess.prepare_activity(course.load_activity(h5_path), val_fraction, seed)
    log(f"{h5_path}: train {data['x_train'].shape}, validation {data['x_val'].shape}, "
        f"test {data['x_test'].shape}, classes {list(data['classes'])}")
    save_npz(out_npz, **data)
