"""WISDM v1.1 (Kwapisz, Weiss and Moore 2010): the raw accelerometer text, its quirks, and
windows of it split by user.

    read_archive(file, name, counts)  WISDM_ar_latest.tar.gz -> Records (and the lab's readme)
    read_raw(lines, name, counts)     the lines of WISDM_ar_v1.1_raw.txt -> Records
    windows(frame, steps)             consecutive samples of one user and activity -> X, labels, users
    split_users(users, fraction, seed) the test users, disjoint from the training users

The raw file has one record per `user,activity,timestamp,x,y,z;` (20 Hz; x, y, z in m/s^2).
Its known quirks, worked around and counted, never silently:

    several records on one line   split at every ';'
    a trailing ';' or ','          ignored
    missing or empty values        the record is dropped ("missing values")
    values that are not numbers    dropped ("not a number")
    timestamp 0                    dropped ("zero timestamp")
    the timestamp of the record    dropped ("repeated timestamp"): the first reading at a
    before it, repeated            time is kept; no break in a window, unlike the others

A record whose activity is not one of the six is dropped too ("unknown activity"). The
published counts are of records per activity (1,098,207 in all); they are checked against
every record that names its activity, whatever its values, and a mismatch means the file is
not the one published. A file of which more than MAX_DROPPED of the records are dropped is
no WISDM text: one line names the file, the first bad line and what it holds (repeated
timestamps are readable records and do not count towards it).
"""
import array
import io
import tarfile
import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nnlab.errors import DataError

ACTIVITIES = ("Walking", "Jogging", "Upstairs", "Downstairs", "Sitting", "Standing")
RAW_SUFFIX = "_raw.txt"
README = "readme.txt"
MAX_DROPPED = 0.01
MAX_GAP = 20                       # sampling steps (1 s at 20 Hz): a longer pause breaks a window
MAX_MEMBER_BYTES = 200 * 2**20     # the raw text is 49 MB: an archive claiming more is refused
REPEATED = "repeated timestamp"


@dataclass
class Records:
    frame: pd.DataFrame                       # kept records in file order: record (its number among all
                                              # records, from 1), user, activity, timestamp, x, y, z, and
                                              # gap (an unreadable record came just before it)
    counts: dict                              # records per activity, dropped ones included
    dropped: dict = field(default_factory=dict)   # reason -> records dropped
    readme: str = ""                          # the lab's readme.txt, to travel with the data


def _short(text, width=60):
    text = text.strip()
    return repr(text if len(text) <= width else text[:width] + "...")


def _parse(entry):
    """(user, activity, timestamp, x, y, z) of one record, or (activity or None, reason)."""
    fields = [f.strip() for f in entry.split(",")]
    if fields and fields[-1] == "" and len(fields) == 7:     # "…,z,;": a trailing comma
        fields = fields[:6]
    activity = fields[1] if len(fields) > 1 and fields[1] in ACTIVITIES else None
    if len(fields) > 1 and activity is None:
        return None, "unknown activity"
    if len(fields) != 6 or "" in fields:
        return activity, "missing values"
    try:
        user, stamp = int(fields[0]), int(fields[2])
        x, y, z = float(fields[3]), float(fields[4]), float(fields[5])
    except ValueError:
        return activity, "not a number"
    if not all(np.isfinite((x, y, z))):
        return activity, "not a number"
    if stamp == 0:
        return activity, "zero timestamp"
    return (user, activity, stamp, x, y, z), None


def read_raw(lines, name, counts=None):
    """Records of the raw text `lines` (str, numbered from 1 in messages). `counts`: the
    published records per activity to check, or None. The kept records are gathered column by
    column in typed arrays (a 1.1 M-record file as Python tuples took 860 MB)."""
    columns = {"record": array.array("q"), "user": array.array("q"), "activity": array.array("b"),
               "timestamp": array.array("q"), "x": array.array("f"), "y": array.array("f"), "z": array.array("f"),
               "gap": array.array("b")}
    code = {a: i for i, a in enumerate(ACTIVITIES)}
    found = dict.fromkeys(ACTIVITIES, 0)
    dropped, first = {}, None
    total, last, gap = 0, None, 0
    for number, line in enumerate(lines, 1):
        for entry in line.split(";"):
            if not entry.strip():
                continue
            total += 1
            parsed, reason = _parse(entry)
            if reason is None:
                user, activity, stamp, x, y, z = parsed
                found[activity] += 1
                if (user, activity, stamp) == last:
                    dropped[REPEATED] = dropped.get(REPEATED, 0) + 1
                    continue
                for key, value in zip(columns, (total, user, code[activity], stamp, x, y, z, gap)):
                    columns[key].append(value)
                last, gap = (user, activity, stamp), 0
                continue
            if parsed is not None:
                found[parsed] += 1
            dropped[reason] = dropped.get(reason, 0) + 1
            first, gap = first or (number, entry), 1
    bad = sum(n for reason, n in dropped.items() if reason != REPEATED)
    if not total:
        raise DataError(f"{name}: expected records user,activity,timestamp,x,y,z; found none")
    if bad > MAX_DROPPED * total:
        number, entry = first
        raise DataError(f"{name}: expected records user,activity,timestamp,x,y,z with an activity among "
                        f"{', '.join(ACTIVITIES)}; found {bad:,} of {total:,} records unreadable, "
                        f"the first at line {number}: {_short(entry)}")
    if counts:
        _check_counts(found, counts, name)
    frame = pd.DataFrame({key: np.frombuffer(values, dtype=values.typecode) for key, values in columns.items()})
    frame["activity"] = pd.Categorical.from_codes(frame["activity"], ACTIVITIES)
    frame["gap"] = frame["gap"].astype(bool)
    return Records(frame, found, dropped)


def _check_counts(found, counts, name):
    expected_total, found_total = sum(counts.values()), sum(found.values())
    for activity, n in counts.items():
        if found.get(activity, 0) != n:
            raise DataError(f"{name}: expected {n:,} {activity} records ({expected_total:,} in all, as "
                            f"published), found {found.get(activity, 0):,} ({found_total:,} in all): "
                            f"not the published WISDM v1.1 raw text (public.activity.counts: null accepts it unchecked)")


def _metadata(name):
    """A macOS archiver's companion file ("._<name>", "__MACOSX/"), not the lab's data."""
    return name.rsplit("/", 1)[-1].startswith("._") or name.startswith("__MACOSX/") or "/__MACOSX/" in name


def read_archive(file, name, counts=None):
    """Records of the raw text inside the gzip'd tar `file` (its member ending in _raw.txt),
    with the lab's readme.txt."""
    try:
        with tarfile.open(file, "r:gz") as archive:
            members = {m.name: m for m in archive.getmembers() if m.isfile() and not _metadata(m.name)}
            raw = [m for n, m in members.items() if n.endswith(RAW_SUFFIX)]
            if len(raw) != 1:
                found = ", ".join(sorted(members)) or "no files"
                raise DataError(f"{name}: expected one file named *{RAW_SUFFIX} in the archive, found {found}")
            if raw[0].size > MAX_MEMBER_BYTES:
                raise DataError(f"{name}: expected a raw text of at most {MAX_MEMBER_BYTES:,} bytes, "
                                f"found {raw[0].name} of {raw[0].size:,}")
            readme = [m for n, m in members.items() if n.rsplit("/", 1)[-1].lower() == README]
            readme = archive.extractfile(readme[0]).read().decode("utf-8", "replace") if readme else ""
            # streamed line by line: the 49 MB text is never held whole
            with io.TextIOWrapper(archive.extractfile(raw[0]), encoding="utf-8", errors="replace") as lines:
                records = read_raw(lines, f"{name}: {raw[0].name}", counts)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        problem = " ".join(str(error).split()) or type(error).__name__
    else:
        problem = None
    if problem:
        raise DataError(f"{name}: expected a gzip'd tar archive, found one that cannot be read ({problem})")
    records.readme = readme
    return records


def windows(frame, steps, stride=None):
    """Non-overlapping (or `stride`-apart) windows of `steps` consecutive samples of one user
    doing one activity, in file order; a remainder shorter than `steps` is left out.

    A window never spans a break: a change of user or activity, an unreadable record (a
    repeated timestamp is no break), a timestamp going backwards, or a gap of more than MAX_GAP
    typical sampling steps (the median step of that user's records, so that a user whose clock
    counts in other units is judged by their own steps).

    Returns X float32 (n, steps, 3), activity (n,) str, user (n,) int."""
    stride = stride or steps
    user, activity = frame["user"].to_numpy(), frame["activity"].to_numpy()
    gap, stamp = frame["gap"].to_numpy(bool), frame["timestamp"].to_numpy()
    step, same_user = np.diff(stamp), user[1:] == user[:-1]
    steady = (step > 0) & same_user
    typical = pd.Series(step[steady]).groupby(user[1:][steady]).median()
    typical = pd.Series(user[1:]).map(typical).fillna(0).to_numpy()
    broken = gap[1:] | (step < 0) | (step > MAX_GAP * typical)
    change = np.flatnonzero(~same_user | (activity[1:] != activity[:-1]) | broken) + 1
    bounds = np.concatenate([[0], change, [len(frame)]])
    starts = [s for a, b in zip(bounds[:-1], bounds[1:]) for s in range(a, b - steps + 1, stride)]
    starts = np.asarray(starts, dtype=np.int64)
    xyz = frame[["x", "y", "z"]].to_numpy(np.float32)
    X = xyz[starts[:, None] + np.arange(steps)] if starts.size else np.empty((0, steps, 3), np.float32)
    return X, np.asarray(activity[starts], dtype=str), user[starts]


def split_users(users, fraction, seed):
    """Sorted test users: round(fraction * number of users) of them (at least 1, and at least
    one user left for training), drawn with `seed`."""
    pool = np.unique(users)
    if len(pool) < 2:
        raise DataError(f"activity: expected windows of at least 2 users to split by user, found {len(pool)}")
    n = min(max(1, round(fraction * len(pool))), len(pool) - 1)
    return sorted(int(u) for u in np.random.default_rng(seed).permutation(pool)[:n])
