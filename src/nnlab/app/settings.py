"""Where the app reads from; each setting from the command line, else the environment, else its default."""
import argparse
import math
import os
from dataclasses import dataclass
from pathlib import Path

from nnlab.config import of_results
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
    parser = argparse.ArgumentParser(prog="streamlit run app.py --", allow_abbrev=False, add_help=False)
    for option in ("--results", "--config", "--refresh"):
        parser.add_argument(option)
    args, _unknown = parser.parse_known_args(list(argv))
    results = Path(args.results or environ.get("NNLAB_RESULTS") or Path(app_dir) / "results").expanduser().absolute()
    config = args.config or environ.get("NNLAB_CONFIG") or of_results(results, Path(app_dir) / "config.yaml")
    refresh = (seconds(args.refresh, "--refresh") if args.refresh is not None
               else seconds(environ["NNLAB_REFRESH"], "NNLAB_REFRESH") if environ.get("NNLAB_REFRESH")
               else DEFAULT_REFRESH)     # an empty NNLAB_REFRESH is as if unset
    return Settings(results=results, config=Path(config).expanduser().absolute(), refresh=refresh)
