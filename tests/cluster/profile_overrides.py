"""Print the SLURM profile's default-resources with the placeholders replaced, for the CLI.

    python profile_overrides.py PROFILE_YAML PARTITION

The profile ships placeholders for slurm_partition and slurm_account that a user replaces.
A command-line --default-resources replaces the profile's whole default-resources key, so
the test passes every other default unchanged, the partition set to the test cluster's,
and no account (the test cluster has no accounting). One NAME=VALUE per line.
"""
import sys

import yaml


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    with open(argv[1]) as fh:
        profile = yaml.safe_load(fh)
    resources = dict(profile.get("default-resources") or {})
    resources.pop("slurm_account", None)
    resources["slurm_partition"] = argv[2]
    for name, value in resources.items():
        print(f"{name}={value}")


if __name__ == "__main__":
    main(sys.argv)
