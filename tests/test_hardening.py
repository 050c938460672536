"""Bad-input and fault catalogue (issue 15): failing writes, empty splits.

Every case asserts the one-line message and that nothing claiming success is left behind.
"""
import errno
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from nnlab import io
from nnlab.errors import DataError, NnlabError, WriteError


def assert_one_line(excinfo, *words):
    message = str(excinfo.value)
    assert "\n" not in message, message
    for w in words:
        assert w in message, message
    return message


# ------------------------------------------------------------------ failing writes


def _figure():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    plt.plot([0, 1], [1, 0])
    return fig


WRITERS = {
    "json": ("metrics.json", lambda p: io.write_json(p, {"accuracy": 0.5})),
    "npz": ("params.npz", lambda p: io.save_npz(p, w=np.ones((50, 50)))),
    "csv": ("history.csv", lambda p: io.save_csv(p, pd.DataFrame({"epoch": [1, 2]}))),
    "png": ("curves.png", lambda p: io.save_figure(p, _figure())),
}


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES])
def test_storage_errors_are_one_line_naming_the_file_and_no_temp_is_left(tmp_path, code):
    """A writer that has written part of its file when the storage gives up."""
    target = tmp_path / "results" / "x" / "metrics.json"
    with pytest.raises(WriteError) as excinfo:
        with io.atomic_path(target) as tmp:
            tmp.write_bytes(b"partial")
            raise OSError(code, os.strerror(code))
    assert assert_one_line(excinfo) == f"cannot write {target}: {os.strerror(code)}"
    assert excinfo.value.__suppress_context__          # printed alone, not under the OSError
    assert os.listdir(target.parent) == []          # neither the target nor the temporary file


def test_h5py_style_error_without_errno_is_one_line(tmp_path):
    target = tmp_path / "data1.h5"
    with pytest.raises(WriteError) as excinfo:
        with io.atomic_path(target):
            raise OSError("Can't write data (file write failed: time = Mon, errno = 28, "
                          "error message = 'No space left on device')\nmore")
    assert assert_one_line(excinfo) == f"cannot write {target}: No space left on device"
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_file_where_a_folder_should_be_is_one_line(tmp_path, kind):
    name, write = WRITERS[kind]
    (tmp_path / "results").write_text("not a folder")
    target = tmp_path / "results" / "x" / name
    with pytest.raises(WriteError) as excinfo:
        write(target)
    assert assert_one_line(excinfo) == f"cannot write {target}: Not a directory"
    assert isinstance(excinfo.value, NnlabError)
    assert os.listdir(tmp_path) == ["results"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_is_one_line(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(WriteError) as excinfo:
            io.write_json(folder / "metrics.json", {})
        assert assert_one_line(excinfo) == f"cannot write {folder / 'metrics.json'}: Permission denied"
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o700)


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_file_size_limit_is_one_line_and_removes_the_partial_file(tmp_path, kind):
    """A real failing write (no mocking): RLIMIT_FSIZE makes the kernel refuse bytes past 2 KB
    with EFBIG, in a child process so the limit does not reach pytest."""
    name, _ = WRITERS[kind]
    target = tmp_path / "out" / name
    writes = {
        "json": "io.write_json(target, {'x': 'y' * 100000})",
        "npz": "io.save_npz(target, w=np.ones((100, 100)))",
        "csv": "io.save_csv(target, pd.DataFrame({'a': np.arange(10000)}))",
        "png": "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt; "
               "fig = plt.figure(); plt.imshow(np.random.default_rng(0).random((200, 200))); "
               "io.save_figure(target, fig)",
    }
    script = textwrap.dedent(f"""
        import resource, signal, sys
        import numpy as np, pandas as pd
        from nnlab import io
        from nnlab.errors import NnlabError
        target = {str(target)!r}
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))
        try:
            {writes[kind]}
        except NnlabError as error:
            print(error)
            sys.exit(1)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == f"cannot write {target}: File too large\n"
    assert proc.stderr == ""
    assert os.listdir(target.parent) == []


def test_other_failures_in_the_writer_propagate_and_remove_the_temp(tmp_path):
    target = tmp_path / "metrics.json"
    with pytest.raises(TypeError):
        io.write_json(target, {"x": object()})       # not JSON: a program error, not the disk's
    assert os.listdir(tmp_path) == []


def test_successful_write_replaces_the_target(tmp_path):
    target = tmp_path / "a" / "metrics.json"
    io.write_json(target, {"a": 1})
    io.write_json(target, {"a": 2})
    assert json.loads(target.read_text()) == {"a": 2} and os.listdir(target.parent) == ["metrics.json"]


# ------------------------------------------- bad course files: the data jobs write nothing


def _log(message):
    pass


def test_patches_job_on_a_file_declaring_unwritten_patches_writes_nothing(tmp_path):
    import h5py

    from nnlab.experiments import data

    source = tmp_path / "data1.h5"
    with h5py.File(source, "w") as h5:
        h5.create_dataset("data", shape=(150_000, 3, 16, 16), dtype="f4")   # nothing written
    out = tmp_path / "results" / "data"
    with pytest.raises(DataError) as excinfo:
        data.prepare_patches(source, out / "patches.npz", out / "rgb.png", out / "normalized.png",
                             n_figure=4, seed=0, log=_log)
    assert assert_one_line(excinfo) == (
        "data1.h5: key 'data': expected all 460,800,000 bytes of the declared shape "
        "(150000, 3, 16, 16) written, found 0 bytes stored (the rest would read as fill values)")
    assert not out.exists()


def test_activity_job_without_a_possible_validation_split_writes_nothing(tmp_path):
    import h5py

    from nnlab.experiments import data

    source = tmp_path / "data3.h5"
    rng = np.random.default_rng(0)
    with h5py.File(source, "w") as h5:
        h5["trX"], h5["trY"] = rng.normal(size=(6, 5, 3)), np.eye(6)       # one window per class
        h5["tstX"], h5["tstY"] = rng.normal(size=(6, 5, 3)), np.eye(6)
    out = tmp_path / "results" / "data" / "activity.npz"
    with pytest.raises(DataError) as excinfo:
        data.prepare_activity(source, out, 0.1, 0, _log)
    assert assert_one_line(excinfo, "data3.h5: key 'trY'", "data.validation_fraction 0.1",
                           "found 6 items in 6 classes, at most 1 per class")
    assert not out.parent.exists()


def test_huge_declared_dataset_fails_fast_in_little_memory(tmp_path):
    """Issue 15: a small data2.h5 declaring traind (10**10,) drove load_trigrams to 10.2 GB
    resident for 30 s. Measured in a child process: peak memory and time stay small."""
    script = textwrap.dedent(f"""
        import resource, time
        import h5py, numpy as np
        from nnlab.data.course import load_trigrams
        from nnlab.errors import DataError
        path = {str(tmp_path / "data2.h5")!r}
        with h5py.File(path, "w") as h5:
            h5["words"] = np.array([b"a", b"b", b"c"])
            for split in ("train", "val", "test"):
                h5[split + "x"] = np.ones((4, 3), "u1")
                h5[split + "d"] = np.ones(4, "u1")
            del h5["traind"]
            h5.create_dataset("traind", shape=(10**10,), dtype="u1", chunks=True, fillvalue=1)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        try:
            load_trigrams(path)
        except DataError as error:
            print(error)
        print(time.perf_counter() - start)
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    message, seconds, grown_mb = proc.stdout.splitlines()
    assert message.startswith("data2.h5: key 'traind': expected at most 5,000,000 rows")
    assert float(seconds) < 5 and float(grown_mb) < 50, proc.stdout


def test_a_log_on_a_full_disk_still_gives_the_one_error_line_once(capsys):
    """/dev/full fails every write with ENOSPC: the job's one-line error goes to stderr, once."""
    from types import SimpleNamespace

    from nnlab.errors import DataError
    from nnlab.runner import run

    def job(log):
        raise DataError("data1.h5: key 'data': expected patches, found none")

    fake = SimpleNamespace(log=["/dev/full"], rule="prepare_patches", threads=1)
    with pytest.raises(SystemExit) as exit_info:
        run(fake, job)
    assert exit_info.value.code == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1 and "key 'data'" in errors[0]
