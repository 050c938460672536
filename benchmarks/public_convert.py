"""Seconds to read and window a WISDM-sized raw text: what converting the public activity data costs.

    python benchmarks/public_convert.py [--users 36] [--per-run 5085] [--steps 150]

Builds a stand-in of WISDM_ar_v1.1_raw.txt in its real format (tests/public_data.py: every user
does every activity for --per-run samples, with the quirks), 36 x 6 x 5085 = 1,098,360 records by
default (the real file has 1,098,207), packs it as WISDM_ar_latest.tar.gz is packed, then times
nnlab.data.wisdm.read_archive (decompress, parse, count, check the counts) and windows().
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import public_data  # noqa: E402

from nnlab.data import wisdm  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=36)
    parser.add_argument("--per-run", type=int, default=5085)
    parser.add_argument("--steps", type=int, default=150)
    args = parser.parse_args()
    text, counts = public_data.wisdm_text(users=args.users, per_run=args.per_run)
    with tempfile.TemporaryDirectory() as folder:
        archive = public_data.wisdm_archive(Path(folder) / "WISDM_ar_latest.tar.gz", text)
        start = time.perf_counter()
        records = wisdm.read_archive(archive, archive.name, counts)
        read = time.perf_counter() - start
        start = time.perf_counter()
        X, _, _ = wisdm.windows(records.frame, args.steps)
        cut = time.perf_counter() - start
    print(f"{sum(counts.values()):,} records ({len(text) / 1e6:.1f} MB of text): "
          f"read and checked in {read:.1f} s, {len(X):,} windows of {args.steps} cut in {cut:.2f} s")


if __name__ == "__main__":
    main()
