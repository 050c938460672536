"""Where the app reads from; each setting from the command line, else the environment, else its default."""
import argparse
import math
import os
from dataclasses import dataclass
from pathlib import Path

from nnlab.errors import ConfigError

DEFAULT_REFRESH = 3.0
MIN_REFRESH = 0.5


@dataclass(frozen=True)
class Settings:
    results: Path          # the results folder (may not exist yet)
    config: Path           # config.yaml whose variants and seeds the pages list
    refresh: float         # seconds between live-progress checks of running variants


def seconds(raw, name):
    """A positive, finite number of seconds from `raw` (a string), or ConfigError naming `name`."""
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name}: expected a positive number of seconds, found {raw!r}")
    return max(value, MIN_REFRESH)


def resolve(app_dir, argv=(), environ=None):
    """Settings from script arguments `argv` (what follows `--`) and `environ`."""
    environ = os.environ if environ is None else environ
    app_dir = Path(app_dir)
    parser = argparse.ArgumentParser(prog="streamlit run app.py --", allow_abbrev=False, add_help=False)
    for option in ("--results", "--config", "--refresh"):
        parser.add_argument(option)
    args, _unknown = parser.parse_known_args(list(argv))
    results = Path(args.results or environ.get("NNLAB_RESULTS") or app_dir / "results").expanduser().absolute()
    config = args.config or environ.get("NNLAB_CONFIG")
    if not config:      # the workflow writes the config a run used into the results folder
        config = results / "config.yaml" if (results / "config.yaml").is_file() else app_dir / "config.yaml"
    raw, name = args.refresh, "--refresh"
    if raw is None:         # an empty NNLAB_REFRESH is as if unset
        raw, name = environ.get("NNLAB_REFRESH") or None, "NNLAB_REFRESH"
    refresh = DEFAULT_REFRESH if raw is None else seconds(raw, name)
    return Settings(results=results, config=Path(config).expanduser().absolute(), refresh=refresh)
