"""Where the app reads from: the results folder and the config that defines the variants.

Precedence, for each setting: command line (`streamlit run app.py -- --results PATH
--config FILE --refresh SECONDS`), then environment (NNLAB_RESULTS, NNLAB_CONFIG,
NNLAB_REFRESH), then the default beside app.py (results/, config.yaml, 3 seconds).
"""
import argparse
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_REFRESH = 3.0


@dataclass(frozen=True)
class Settings:
    results: Path          # the results folder (may not exist yet)
    config: Path           # config.yaml whose variants the Overview lists
    schema: Path           # its JSON schema (validation is skipped when missing)
    refresh: float         # seconds between live-progress checks of running variants


def parser():
    p = argparse.ArgumentParser(prog="streamlit run app.py --", allow_abbrev=False, add_help=False,
                                description="nnlab results browser")
    p.add_argument("--results", help="results folder (default: results/ beside app.py; env NNLAB_RESULTS)")
    p.add_argument("--config", help="config.yaml defining the variants (default: config.yaml beside app.py; "
                                    "env NNLAB_CONFIG)")
    p.add_argument("--refresh", help="seconds between live-progress checks (default 3; "
                                                 "env NNLAB_REFRESH)")
    return p


def resolve(app_dir, argv=(), environ=None):
    """Settings from script arguments `argv` (what follows `--`) and `environ`."""
    environ = os.environ if environ is None else environ
    app_dir = Path(app_dir)
    args, _unknown = parser().parse_known_args(list(argv))
    results = args.results or environ.get("NNLAB_RESULTS") or app_dir / "results"
    config = args.config or environ.get("NNLAB_CONFIG") or app_dir / "config.yaml"
    refresh = args.refresh if args.refresh is not None else environ.get("NNLAB_REFRESH")
    try:
        refresh = float(refresh) if refresh not in (None, "") else DEFAULT_REFRESH
    except ValueError:
        refresh = DEFAULT_REFRESH
    return Settings(
        results=Path(results).expanduser().absolute(),
        config=Path(config).expanduser().absolute(),
        schema=app_dir / "workflow" / "schemas" / "config.schema.yaml",
        refresh=max(refresh, 0.5),
    )
