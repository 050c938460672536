"""Compare every metrics.json and aggregate.json of two results folders, timing and
provenance left out.

    python compare_metrics.py LOCAL_RESULTS CLUSTER_RESULTS

Both folders must hold the same set of metrics.json (one per run, <task>/<variant>/seed<S>/)
and aggregate.json files (one per variant, beside its seed folders), and each
pair must be equal once the keys in IGNORED are dropped at any depth: wall-clock times
differ between runs, and `provenance` records where and when a run happened. Numbers are
compared exactly: the same code, data, seed and thread count give the same floats.
Prints one line per file and exits 1 on the first folder-level mismatch or any unequal file.
"""
import json
import sys
from pathlib import Path

IGNORED = {"seconds_per_epoch", "seconds", "provenance"}
NAMES = ("metrics.json", "aggregate.json")


def strip(value):
    """The value with IGNORED keys removed from every nested mapping."""
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in IGNORED}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def differences(a, b, path=""):
    """Paths (a.b[2].c) where two stripped JSON values differ, with both values."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            where = f"{path}.{key}" if path else key
            if key not in a or key not in b:
                out.append(f"{where}: only in {'cluster' if key not in a else 'local'}")
            else:
                out += differences(a[key], b[key], where)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: local {a!r} != cluster {b!r}"]


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    local, cluster = Path(argv[1]), Path(argv[2])
    found = {}
    for name, root in (("local", local), ("cluster", cluster)):
        found[name] = {p.relative_to(root) for n in NAMES for p in root.rglob(n)}
        if not found[name]:
            print(f"FAIL: no metrics.json under the {name} results {root}")
            return 1
    if found["local"] != found["cluster"]:
        for rel in sorted(found["local"] - found["cluster"]):
            print(f"FAIL: {rel} only in the local run")
        for rel in sorted(found["cluster"] - found["local"]):
            print(f"FAIL: {rel} only in the cluster run")
        return 1
    failed = 0
    for rel in sorted(found["local"]):
        a = strip(json.loads((local / rel).read_text()))
        b = strip(json.loads((cluster / rel).read_text()))
        diff = differences(a, b)
        if diff:
            failed += 1
            print(f"FAIL: {rel} differs: " + "; ".join(diff[:5]) + (" ..." if len(diff) > 5 else ""))
        else:
            print(f"ok: {rel} ({len(a)} keys compared)")
    counts = {n: sum(rel.name == n for rel in found["local"]) for n in NAMES}
    print(f"{counts['metrics.json']} metrics.json and {counts['aggregate.json']} aggregate.json files: "
          f"{len(found['local']) - failed} equal, {failed} different")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
