"""python -m nnlab.gradcheck: every model's analytic gradients against central differences.

Each task's model module (nnlab.tasks: Task.model) has gradcheck() -> [(name, max relative error)], computed in float64
on a small random instance. Prints one line per check; exits 1 if any error exceeds 1e-6.
"""
import importlib
import sys

from nnlab.tasks import TASKS

TOLERANCE = 1e-6


def run_all():
    results = []
    for task in TASKS.values():
        results.extend(importlib.import_module(task.model_module).gradcheck())
    return results


def main():
    failed = False
    for name, error in run_all():
        ok = error <= TOLERANCE
        failed |= not ok
        print(f"{name:<40s} max relative error {error:.2e}  {'ok' if ok else 'FAIL'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
