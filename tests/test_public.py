"""The public data source: downloads from a local HTTP server on 127.0.0.1 (never the internet),
checked before use, readers of the real formats with their quirks, and the workflow end to end."""
import json
import shutil

import h5py
import numpy as np
import pytest
import yaml

import public_data as pdata
from conftest import TINY, snakemake
from test_app import run_page, texts
from nnlab import status
from nnlab.config import data_source
from nnlab.data import course, public, wisdm
from nnlab.data.fetch import Remote, fetch
from nnlab.errors import ConfigError, DataError


def quiet(line):
    return False


@pytest.fixture
def server():
    with pdata.serving() as s:
        yield s


@pytest.fixture(scope="module")
def mat(tmp_path_factory):
    return pdata.fourgram_mat(tmp_path_factory.mktemp("mat") / "data.mat")


def left_in(folder):
    """Every file in `folder`, temporary ones included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def one_line(error):
    text = str(error.value)
    assert "\n" not in text and "Traceback" not in text
    return text


# ------------------------------------------------------------------------------ fetch


def test_a_download_is_checked_kept_and_reused_without_network(tmp_path, server, mat):
    url = server.add("/lm/data.mat", mat)
    remote = Remote(url, tmp_path / "cache" / "data.mat", "mat", pdata.sha256(mat), mat.stat().st_size)
    first = fetch(remote, quiet)
    assert first.path.read_bytes() == mat.read_bytes() and first.sha256 == pdata.sha256(mat)
    assert left_in(tmp_path / "cache") == ["data.mat"]
    server.close()                                   # the cached file needs no network
    again = fetch(remote, quiet, read=public.read_fourgrams)
    assert server.hits == {"/lm/data.mat": 1}
    assert again.value[0][-2:] == [".", "?"]


@pytest.mark.parametrize("mode, sha, expected", [
    (None, "0" * 64, "expected sha256 " + "0" * 64),
    ("truncated", None, "closed before the end of the file"),
    ("html", "0" * 64, "expected a MATLAB 5.0 MAT-file, found an HTML page"),
    (404, None, "HTTP 404"),
])
def test_a_failed_or_wrong_download_is_one_line_and_leaves_no_file(tmp_path, server, mat, mode, sha, expected):
    url = server.add("/lm/data.mat", mat)
    server.modes["/lm/data.mat"] = mode
    cache = tmp_path / "cache"
    with pytest.raises(DataError) as error:
        fetch(Remote(url, cache / "data.mat", "mat", sha), quiet)
    text = one_line(error)
    assert expected in text and url in text
    assert f"put the file from {url} at {cache / 'data.mat'} by hand" in text
    assert left_in(cache) == []


def test_a_server_that_stops_sending_is_given_up_after_the_timeout(tmp_path, server, mat):
    url = server.add("/lm/data.mat", mat)
    server.modes["/lm/data.mat"] = "stall"
    with pytest.raises(DataError) as error:
        fetch(Remote(url, tmp_path / "data.mat", "mat"), quiet, timeout=1)
    assert f"cannot download {url}: no data for 1 s;" in one_line(error)
    assert left_in(tmp_path) == []


def test_an_archive_is_asked_for_as_is_not_unpacked_by_the_transfer(tmp_path, server):
    archive = pdata.wisdm_archive(tmp_path / "w.tar.gz", pdata.wisdm_text()[0])
    url = server.add("/w.tar.gz", archive)
    server.modes["/w.tar.gz"] = "encoded"          # would send it gzipped again to a client that accepts gzip
    fetched = fetch(Remote(url, tmp_path / "cache" / "w.tar.gz", "gzip", pdata.sha256(archive)), quiet)
    assert fetched.path.read_bytes() == archive.read_bytes()


def test_a_size_mismatch_is_caught_before_the_hash(tmp_path, server, mat):
    url = server.add("/lm/data.mat", mat)
    with pytest.raises(DataError) as error:
        fetch(Remote(url, tmp_path / "data.mat", "mat", None, mat.stat().st_size + 1), quiet)
    assert f"expected {mat.stat().st_size + 1:,} bytes, found {mat.stat().st_size:,}" in one_line(error)
    assert left_in(tmp_path) == []


def test_a_web_page_instead_of_an_archive_is_caught_by_the_check_not_the_reader(tmp_path, server):
    archive = pdata.wisdm_archive(tmp_path / "w.tar.gz", pdata.wisdm_text()[0])
    url = server.add("/WISDM_ar_latest.tar.gz", archive)
    server.modes["/WISDM_ar_latest.tar.gz"] = "html"
    read_calls = []
    with pytest.raises(DataError) as error:
        fetch(Remote(url, tmp_path / "cache" / "WISDM_ar_latest.tar.gz", "gzip"), quiet,
              read=lambda f, n: read_calls.append(n))
    assert "expected a gzip archive, found an HTML page" in one_line(error)
    assert read_calls == [] and left_in(tmp_path / "cache") == []


def test_a_refused_connection_names_the_url_and_the_path_to_put_the_file_by_hand(tmp_path):
    url = pdata.refused_url("/data.mat")
    with pytest.raises(DataError) as error:
        fetch(Remote(url, tmp_path / "data.mat", "mat"), quiet)
    text = one_line(error)
    assert text.startswith(f"cannot download {url}: Connection refused;")
    assert text.endswith(f"put the file from {url} at {tmp_path / 'data.mat'} by hand and rerun")
    assert left_in(tmp_path) == []


def test_images_that_cannot_be_downloaded_are_all_named_at_once(tmp_path, server):
    """Offline, the patches' error lists every image still missing (not one per rerun); with
    one left, it is the single file's line."""
    settings = pdata.sources(tmp_path / "src", server)
    cache = tmp_path / "src" / "cache" / "patches"
    cache.mkdir(parents=True)
    shutil.copy(tmp_path / "src" / "kodim02.png", cache)
    server.close()
    base = settings["patches"]["url"]
    with pytest.raises(DataError) as error:
        public.make_patches(tmp_path / "data1.h5", settings["patches"], settings["cache"], 0, quiet)
    assert one_line(error) == (f"cannot download {base}kodim01.png: Connection refused; put the 2 missing files "
                               f"(kodim01.png, kodim03.png) from {base} in {cache} by hand and rerun")
    shutil.copy(tmp_path / "src" / "kodim01.png", cache)
    with pytest.raises(DataError) as error:
        public.make_patches(tmp_path / "data1.h5", settings["patches"], settings["cache"], 0, quiet)
    assert one_line(error).endswith(f"put the file from {base}kodim03.png at {cache / 'kodim03.png'} by hand and rerun")
    assert left_in(cache) == ["kodim01.png", "kodim02.png"] and left_in(tmp_path) == ["src"]


def test_a_file_put_by_hand_is_used_with_the_server_down(tmp_path, mat):
    (tmp_path / "cache").mkdir()
    shutil.copy(mat, tmp_path / "cache" / "data.mat")
    remote = Remote(pdata.refused_url("/data.mat"), tmp_path / "cache" / "data.mat", "mat", pdata.sha256(mat))
    words, grams = fetch(remote, quiet, read=public.read_fourgrams).value
    assert len(words) == 40 and grams["train"].shape == (300, 4)


def test_a_wrong_file_put_by_hand_is_refused_and_left_for_the_user(tmp_path, mat):
    placed = tmp_path / "data.mat"
    placed.write_bytes(mat.read_bytes()[:-10])
    with pytest.raises(DataError) as error:
        fetch(Remote("http://127.0.0.1:9/data.mat", placed, "mat", pdata.sha256(mat)), quiet)
    text = one_line(error)
    assert text.startswith(f"{placed}: expected sha256 {pdata.sha256(mat)}, found ")
    assert "delete it to download it again" in text and placed.exists()


def test_a_file_put_by_hand_that_fails_its_content_check_is_named_with_its_path(tmp_path):
    text, counts = pdata.wisdm_text()
    placed = pdata.wisdm_archive(tmp_path / "w.tar.gz", text)
    wrong = dict(counts, Sitting=counts["Sitting"] - 1)
    with pytest.raises(DataError) as error:
        fetch(Remote(pdata.refused_url("/w.tar.gz"), placed, "gzip"), quiet,
              read=lambda f, n: wisdm.read_archive(f, n, wrong))
    message = one_line(error)
    assert message.startswith(f"{placed}: WISDM_ar_v1.1/WISDM_ar_v1.1_raw.txt: expected {wrong['Sitting']:,} Sitting records")
    assert message.endswith("delete it to download it again, or replace it by hand") and placed.exists()


def test_a_download_its_reader_refuses_is_not_kept(tmp_path, server):
    text, counts = pdata.wisdm_text()
    url = server.add("/w.tar.gz", pdata.wisdm_archive(tmp_path / "w.tar.gz", text))
    wrong = dict(counts, Walking=counts["Walking"] + 1)
    with pytest.raises(DataError) as error:
        fetch(Remote(url, tmp_path / "cache" / "w.tar.gz", "gzip"), quiet,
              read=lambda f, n: wisdm.read_archive(f, n, wrong))
    message = one_line(error)
    assert f"expected {wrong['Walking']:,} Walking records" in message and "nothing was kept" in message
    assert left_in(tmp_path / "cache") == []


def test_a_local_path_stands_in_for_a_mirror(tmp_path, mat):
    fetched = fetch(Remote(str(mat), tmp_path / "cache" / "data.mat", "mat", pdata.sha256(mat)), quiet)
    assert fetched.path.read_bytes() == mat.read_bytes()
    with pytest.raises(DataError) as error:
        fetch(Remote(str(tmp_path / "nothing.mat"), tmp_path / "cache" / "x.mat", "mat"), quiet)
    assert "No such file or directory" in one_line(error)


def test_long_downloads_show_progress(tmp_path, server):
    big = tmp_path / "big.tar.gz"
    big.write_bytes(b"\x1f\x8b" + bytes(3_000_000))
    lines = []
    fetch(Remote(server.add("/big.tar.gz", big), tmp_path / "cache" / "big.tar.gz", "gzip"), lines.append)
    progress = [line for line in lines if line.startswith("downloading big.tar.gz")]
    assert progress and all(" of 3.0 MB (" in line for line in progress)
    assert any(line.startswith("downloaded big.tar.gz: 3.0 MB in ") for line in lines)
    server.modes["/big.tar.gz"] = "unsized"          # no Content-Length: the size said is the file's
    lines.clear()
    fetch(Remote(server.url + "/big.tar.gz", tmp_path / "cache2" / "big.tar.gz", "gzip"), lines.append)
    assert any(line.startswith("downloaded big.tar.gz: 3.0 MB in ") for line in lines), lines


# ------------------------------------------------------------------------------ WISDM


def test_wisdm_quirks_are_worked_around_and_every_dropped_record_counted(tmp_path):
    text, counts = pdata.wisdm_text()
    records = wisdm.read_raw(text.splitlines(), "raw.txt", counts)
    assert records.counts == counts
    assert records.dropped == {"missing values": 1, "not a number": 1, "zero timestamp": 1, "repeated timestamp": 2}
    assert len(records.frame) == sum(counts.values()) - 5       # two-on-a-line, a trailing comma, spaces are kept
    assert records.frame["timestamp"].min() > 0 and records.frame["x"].dtype == np.float32
    assert records.frame["timestamp"].is_unique and records.frame["x"].max() < 7.5   # the first reading kept
    assert records.frame["gap"].sum() == 3                      # after each unreadable record, not after a repeat


def test_wisdm_records_of_an_unknown_activity_are_dropped_and_counted():
    lines = pdata.wisdm_text(quirks=False)[0].splitlines()
    lines[5] = lines[5].replace("Walking", "Runing")
    records = wisdm.read_raw(lines, "raw.txt")
    assert records.dropped == {"unknown activity": 1}
    assert records.counts["Walking"] == sum(1 for line in lines if ",Walking," in line)


def test_wisdm_windows_break_at_a_dropped_record_and_a_pause():
    """20 samples per activity, windows of 10: without the breaks each activity's first window would
    start at its first record."""
    lines = pdata.wisdm_text(users=1, per_run=20, quirks=False)[0].splitlines()
    lines[5] = lines[5].replace(",", ",,", 1)              # Walking's 6th record dropped
    lines[25:] = [",".join(p[:2] + [str(int(p[2]) + 5_000_000_000)] + p[3:])   # 5 s pause before Jogging's 6th
                  for p in (line.split(",") for line in lines[25:])]
    lines.insert(43, lines[42])                                 # Upstairs' 3rd reading repeated: record 44
    frame = wisdm.read_raw(lines, "raw").frame
    X, activity, _ = wisdm.windows(frame, 10)
    first = {a: X[list(activity).index(a)] for a in ("Walking", "Jogging", "Upstairs")}
    at = frame.set_index("record")[["x", "y", "z"]]
    np.testing.assert_array_equal(first["Walking"][0], at.loc[7])       # after the dropped record
    np.testing.assert_array_equal(first["Jogging"][0], at.loc[26])      # after the pause
    np.testing.assert_array_equal(first["Upstairs"], at.loc[[41, 42, 43] + list(range(45, 52))])  # no break, no repeat
    assert list(activity).count("Walking") == list(activity).count("Jogging") == 1


def test_wisdm_pauses_are_judged_by_each_users_own_sampling_step():
    """User 2's clock counts milliseconds, user 1's nanoseconds (1,000,000 times the numbers): a
    5 s pause of user 2 still breaks a window."""
    lines = pdata.wisdm_text(users=2, per_run=20, quirks=False)[0].splitlines()
    start = int(lines[120].split(",")[2])
    for i in range(120, 240):                                    # user 2: ms from the start, 50 a step
        p = lines[i].split(",")
        pause = 5_000 if i >= 125 else 0                          # before Walking's 6th record
        lines[i] = ",".join(p[:2] + [str((int(p[2]) - start) // 1_000_000 + 1 + pause)] + p[3:])
    frame = wisdm.read_raw(lines, "raw").frame
    X, activity, user = wisdm.windows(frame, 10)
    walking = X[(activity == "Walking") & (user == 2)]
    assert len(walking) == 1                                    # 5 + 15 samples: the pause leaves one window
    np.testing.assert_array_equal(walking[0][0], frame.set_index("record").loc[126, ["x", "y", "z"]])


def test_wisdm_text_that_is_not_wisdm_names_the_file_and_first_bad_line():
    lines = ["33,Jogging,49105962326000,-0.69,12.68,0.50;", "<html><body>", "oops;", "x,y"]
    with pytest.raises(DataError) as error:
        wisdm.read_raw(lines, "raw.txt")
    assert one_line(error).endswith("found 3 of 4 records unreadable, the first at line 2: '<html><body>'")
    with pytest.raises(DataError) as error:
        wisdm.read_raw(["", ";;"], "raw.txt")
    assert one_line(error) == "raw.txt: expected records user,activity,timestamp,x,y,z; found none"


def test_wisdm_archive_its_raw_text_found_among_other_files_or_refused(tmp_path):
    archive = pdata.wisdm_archive(tmp_path / "a.tar.gz", "x", name="WISDM_ar_v1.1/other.txt")
    with pytest.raises(DataError) as error:
        wisdm.read_archive(archive, "a.tar.gz")
    assert "expected one file named *_raw.txt in the archive, found WISDM_ar_v1.1/other.txt" in one_line(error)
    text, counts = pdata.wisdm_text(users=2, per_run=10, quirks=False)
    mac = (("WISDM_ar_v1.1/._WISDM_ar_v1.1_raw.txt", "\x00\x05"), ("__MACOSX/WISDM_ar_v1.1/._readme.txt", "\x00"),
           ("WISDM_ar_v1.1/WISDM_ar_v1.1_raw_about.txt", "about"))
    records = wisdm.read_archive(pdata.wisdm_archive(tmp_path / "m.tar.gz", text, extra=mac), "m.tar.gz", counts)
    assert records.counts == counts and records.readme == pdata.README      # a Mac's companion files are not data
    (tmp_path / "b.tar.gz").write_bytes(b"\x1f\x8b" + b"junk" * 10)
    with pytest.raises(DataError) as error:
        wisdm.read_archive(tmp_path / "b.tar.gz", "b.tar.gz")
    assert one_line(error).startswith("b.tar.gz: expected a gzip'd tar archive, found one that cannot be read")


def test_wisdm_windows_never_cross_a_user_or_activity():
    frame = wisdm.read_raw(pdata.wisdm_text(users=2, per_run=25, quirks=False)[0].splitlines(), "raw").frame
    X, activity, user = wisdm.windows(frame, 10)
    assert X.shape == (2 * 6 * 2, 10, 3)          # 25 samples a run: two whole windows each
    for k in range(len(X)):
        rows = frame[(frame.user == user[k]) & (frame.activity == activity[k])]
        assert any(np.array_equal(X[k], rows[["x", "y", "z"]].to_numpy()[s:s + 10]) for s in (0, 10))


def test_test_users_are_drawn_by_seed_and_disjoint():
    users = np.repeat(np.arange(1, 37), 5)
    test = wisdm.split_users(users, 0.2, seed=0)
    assert len(test) == 7 and test == wisdm.split_users(users, 0.2, seed=0) != wisdm.split_users(users, 0.2, seed=1)
    assert set(test) < set(users.tolist())
    with pytest.raises(DataError):
        wisdm.split_users(np.ones(4), 0.2, seed=0)


# -------------------------------------------------------------------- data.mat and images


def test_data_mat_reads_in_either_orientation_compressed_or_not(tmp_path):
    by_column = public.read_fourgrams(pdata.fourgram_mat(tmp_path / "c.mat", columns=True), "c.mat")
    by_row = public.read_fourgrams(pdata.fourgram_mat(tmp_path / "r.mat", columns=False), "r.mat")
    packed = public.read_fourgrams(pdata.fourgram_mat(tmp_path / "z.mat", compress=True), "z.mat")
    assert by_column[0] == by_row[0] == packed[0]
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(by_column[1][split], by_row[1][split])
        np.testing.assert_array_equal(by_column[1][split], packed[1][split])
    assert by_column[1]["train"].shape == (300, 4) and by_column[1]["train"].min() >= 1


def test_data_mat_errors_name_the_file_and_key(tmp_path):
    import scipy.io

    scipy.io.savemat(tmp_path / "m.mat", {"data": {"vocab": np.array(["a", "b"], dtype=object),
                                                   "trainData": np.ones((4, 3)), "validData": np.ones((4, 3))}})
    with pytest.raises(DataError) as error:
        public.read_fourgrams(tmp_path / "m.mat", "m.mat")
    assert one_line(error).startswith("m.mat: key 'data.testData': expected a field of the struct, found none")
    scipy.io.savemat(tmp_path / "m.mat", {"data": {"vocab": np.array(["a", "b"], dtype=object),
                                                   **{k: np.full((4, 3), 3.0) for k in public.SPLITS.values()}}})
    with pytest.raises(DataError) as error:
        public.read_fourgrams(tmp_path / "m.mat", "m.mat")
    assert "key 'data.trainData': expected word indices in 1..2 (len(vocab)), found values from 3 to 3" in one_line(error)
    with h5py.File(tmp_path / "v73.mat", "w", userblock_size=512) as h5:
        h5["x"] = 1
    with pytest.raises(DataError) as error:
        public.read_fourgrams(tmp_path / "v73.mat", "v73.mat")
    assert one_line(error).startswith("v73.mat: expected a MATLAB v5 file, found")


def test_images_that_cannot_be_used_are_refused(tmp_path):
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"broken")
    with pytest.raises(DataError) as error:
        public.read_image(tmp_path / "a.png", "a.png")
    assert one_line(error).startswith("a.png: expected a PNG image, found one that cannot be decoded")
    with pytest.raises(DataError) as error:
        public.read_image(pdata.photo(tmp_path / "b.png", height=8), "b.png")
    assert one_line(error) == "b.png: expected an RGB image of at least 16x16 pixels, found shape (8, 64, 4)"


# ------------------------------------------------------------------------ conversion


def test_conversion_writes_the_course_schema_and_a_record(tmp_path, server):
    settings = pdata.sources(tmp_path / "src", server)
    out = tmp_path / "public"
    public.make_activity(out / "data3.h5", settings["activity"], settings["cache"], 0, quiet)
    public.make_trigrams(out / "data2.h5", settings["trigrams"], settings["cache"], quiet)
    public.make_patches(out / "data1.h5", settings["patches"], settings["cache"], 0, quiet)
    activity = course.load_activity(out / "data3.h5")
    assert activity["trX"].shape[1:] == (24, 3) and activity["trY"].shape[1] == 6
    record = json.loads(public.record_path(out / "data3.h5").read_text())
    assert len(record["test_users"]) == 2
    frame = wisdm.read_raw(pdata.wisdm_text()[0].splitlines(), "raw").frame     # whose samples each window holds
    owner = {tuple(v): u for v, u in zip(frame[["x", "y", "z"]].to_numpy(), frame["user"])}
    for key, users in (("tstX", record["test_users"]), ("trX", record["train_users"])):
        assert {owner[tuple(window[0])] for window in activity[key]} == set(users), key
    assert record["dropped"] == {"missing values": 1, "not a number": 1, "zero timestamp": 1, "repeated timestamp": 2}
    assert sum(record["windows"]["test"].values()) == len(activity["tstY"])
    assert record["citation"].startswith("J. R. Kwapisz") and "no published checksum" in record["files"][0]["checked"]
    assert public.readme_path(out / "data3.h5").read_text() == pdata.README
    trigrams = course.load_trigrams(out / "data2.h5")
    assert len(trigrams["words"]) == 40 and trigrams["trainx"].shape == (300, 3)
    assert course.load_patches(out / "data1.h5").shape == (400, 3, 16, 16)
    files = json.loads(public.record_path(out / "data1.h5").read_text())["files"]
    assert [f["url"].rsplit("/", 1)[-1] for f in files] == settings["patches"]["files"]


def test_a_class_missing_from_the_test_users_is_refused(tmp_path, server):
    settings = pdata.sources(tmp_path / "src", server)["activity"]
    text = "\n".join(line for line in pdata.wisdm_text(quirks=False)[0].splitlines()
                     if not (line.split(",")[1] == "Sitting" and int(line.split(",")[0]) in (3, 4)))
    settings = dict(settings, counts=None, url=server.add("/w2.tar.gz", pdata.wisdm_archive(tmp_path / "w2.tar.gz", text)))
    with pytest.raises(DataError) as error:
        public.make_activity(tmp_path / "data3.h5", settings, tmp_path / "cache", 0, quiet)
    assert "public.activity.test_users: expected every class" in one_line(error) and "no sitting in the test" in str(error.value)
    assert not (tmp_path / "data3.h5").exists()


# ------------------------------------------------------------------------------ config


def test_the_source_follows_data_dir_unless_named():
    assert data_source({"data_dir": "results/demo"}) == "demo"
    assert data_source({"data_dir": "/course"}) == "course"
    assert data_source({"data_dir": "results/demo", "source": "public", "public": {"cache": None}}) == "public"
    for bad, key in [({"data_dir": "results/demo", "source": "course"}, "'data_dir'"),
                     ({"data_dir": "/course", "source": "public", "public": {}}, "'source'"),
                     ({"data_dir": "results/demo", "source": "public"}, "'public'")]:
        with pytest.raises(ConfigError, match=key):
            data_source(bad)


def test_the_config_checker_refuses_what_the_workflow_refuses(tmp_path):
    import subprocess
    import sys

    config = yaml.safe_load(TINY.read_text())
    bad = {"course.yaml": dict(config, source="course"),
           "stray.yaml": dict(config, public=dict(config["public"], patches=dict(
               config["public"]["patches"], sha256={"nope.png": "a" * 64})))}
    for name, content in bad.items():
        (tmp_path / name).write_text(yaml.safe_dump(content))
    proc = subprocess.run([sys.executable, "-m", "nnlab.config", *(str(tmp_path / n) for n in bad)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "error: config: key 'data_dir': expected the folder of the course files when source is course, "
        "found the demo's folder results/demo",
        "error: config: key 'public.patches.sha256': expected names among public.patches.files, found 'nope.png'"]


def test_the_data_a_results_folder_came_from_is_said_in_a_line():
    assert status.data_sentence({"source": "course", "data_dir": "/srv/course"}) == "data: the course files in /srv/course"
    assert status.data_sentence({"source": "demo", "data_dir": "results/demo"}).endswith(
        "(not the course's numbers) in results/demo")
    assert status.data_sentence({"source": "elsewhere"}) is status.data_sentence(None) is None


# ------------------------------------------------------------------- the workflow, end to end


def public_config(tmp_path, settings, **extra):
    config = yaml.safe_load(TINY.read_text())
    config.update(source="public", public=settings, **extra)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_the_workflow_runs_on_public_data_end_to_end(tmp_path, server, monkeypatch, capsys):
    """Download (local server), check, convert, then the whole tiny workflow trains on it; a second
    results folder reuses the cache without the server."""
    settings = pdata.sources(tmp_path / "src", server)
    snakemake(tmp_path / "w", "--cores", "2", "--quiet", "rules", configfile=public_config(tmp_path, settings))
    results = tmp_path / "w" / "results"
    source = json.loads((results / "data" / "source.json").read_text())
    assert source["source"] == "public" and source["data_dir"] == "results/public"
    assert source["files"]["data3"]["name"] == "WISDM Activity Prediction v1.1"
    assert (results / "summary" / "recurrent.csv").exists() and (results / "summary" / "language_model.csv").exists()
    assert all(n == 1 for n in server.hits.values()) and len(server.hits) == 5
    at = run_page(results, None, "data", monkeypatch=monkeypatch)       # the Data page names each source
    assert not at.error and not at.warning
    shown = texts(at)
    for name, which in (("data1", "patches"), ("data2", "trigrams"), ("data3", "activity")):
        for key in ("name", "citation", "licence"):
            assert public.SOURCES[which][key] in shown, (name, key)
        assert f"[{public.SOURCES[which]['name']}]({public.SOURCES[which]['homepage']})" in shown
    assert ("2,162 records read, 2,157 kept; dropped: 1 missing values, 1 not a number, 2 repeated timestamp, "
            "1 zero timestamp") in texts(at)
    said = "the public sources (the Kodak photographs, the 2012 course's 4-grams, WISDM v1.1) in results/public"
    overview = run_page(results, None, None, monkeypatch=monkeypatch)     # the Overview says which data
    assert f"Data: {said} (the Data page says more)." in texts(overview, ("caption",))
    assert status.main([str(results), "--summary"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"data: {said}"
    server.close()
    snakemake(tmp_path / "w2", "--cores", "2", "--quiet", "rules", "--", "results/data/activity.npz",
              "results/data/trigrams.npz", "results/data/patches.npz", configfile=public_config(tmp_path, settings))
    assert (tmp_path / "w2" / "results" / "public" / "data3.h5").exists()


def test_the_workflow_says_where_to_put_a_file_that_cannot_be_downloaded(tmp_path, server):
    """A 404, a wrong checksum and a web page, one per source: one line each, no file left; the files
    put by hand then work with the server down."""
    settings = pdata.sources(tmp_path / "src", server)
    server.modes["/kodak/kodim02.png"] = 404
    server.modes["/wisdm/WISDM_ar_latest.tar.gz"] = "html"
    settings["trigrams"]["sha256"] = "f" * 64
    proc = snakemake(tmp_path / "w", "--cores", "1", "--keep-going", "--quiet", "rules", "--",
                     "results/data/source.json", check=False, configfile=public_config(tmp_path, settings))
    assert proc.returncode != 0
    cache = settings["cache"]
    lines = sorted(line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("error: "))
    url = {k: settings[k]["url"] for k in ("trigrams", "activity")}
    url["patches"] = settings["patches"]["url"] + "kodim02.png"
    assert lines == sorted([
        f"error: cannot download {url['patches']}: HTTP 404 Not Found; put the 2 missing files (kodim02.png, "
        f"kodim03.png) from {settings['patches']['url']} in {cache}/patches by hand and rerun",
        f"error: downloaded {url['trigrams']}: expected sha256 {'f' * 64}, found {pdata.sha256(tmp_path / 'src' / 'data.mat')} "
        f"(a different file); nothing was kept; put the file from {url['trigrams']} at {cache}/trigrams/data.mat by hand "
        "and rerun",
        f"error: downloaded {url['activity']}: expected a gzip archive, found an HTML page ({len(pdata.HTML):,} bytes); "
        f"nothing was kept; put the file from {url['activity']} at {cache}/activity/WISDM_ar_latest.tar.gz by hand "
        "and rerun"]), proc.stderr[-3000:]
    assert left_in(tmp_path / "w" / "results" / "public") == []
    assert left_in(tmp_path / "src" / "cache" / "trigrams") == left_in(tmp_path / "src" / "cache" / "activity") == []
    assert left_in(tmp_path / "src" / "cache" / "patches") == ["kodim01.png"]      # checked, kept
    server.close()
    settings["trigrams"]["sha256"] = pdata.sha256(tmp_path / "src" / "data.mat")
    for name, which in (("kodim02.png", "patches"), ("kodim03.png", "patches"), ("data.mat", "trigrams"),
                        ("WISDM_ar_latest.tar.gz", "activity")):
        shutil.copy(tmp_path / "src" / name, f"{cache}/{which}/{name}")
    snakemake(tmp_path / "w", "--cores", "1", "--quiet", "rules", "--", "results/data/source.json",
              configfile=public_config(tmp_path, settings))
    assert left_in(tmp_path / "w" / "results" / "public") == [
        "WISDM_readme.txt", "data1.h5", "data1.h5.source.json", "data2.h5", "data2.h5.source.json", "data3.h5",
        "data3.h5.source.json"]
