"""Small files in the public sources' real formats, with their quirks, and a local HTTP server that
serves them (or fails as servers do) on 127.0.0.1: the public-data tests never reach the internet."""
import contextlib
import gzip
import hashlib
import http.server
import io
import socket
import tarfile
import threading
import time
from pathlib import Path

import numpy as np

ACTIVITIES = ("Walking", "Jogging", "Upstairs", "Downstairs", "Sitting", "Standing")
README = "Readme file for a small stand-in of WISDM's activity prediction dataset v1.1\n"


def wisdm_text(users=6, per_run=60, seed=0, quirks=True):
    """(raw text, records per activity) of a WISDM_ar_v1.1_raw.txt stand-in: every user does every
    activity for `per_run` samples at 20 Hz. With `quirks`: two records on one line, a trailing
    comma, a missing value, a zero timestamp, a value that is not a number, a blank line, two
    readings repeating their predecessor's timestamp, spaces after commas."""
    rng = np.random.default_rng(seed)
    records, counts = [], dict.fromkeys(ACTIVITIES, 0)
    stamp = 1_000_000_000
    for user in range(1, users + 1):
        for k, activity in enumerate(ACTIVITIES):
            for t in range(per_run):
                stamp += 50_000_000
                x, y, z = rng.normal([k, 9.8 - k, 0.5 * k], 1.0)
                records.append([f"{user},{activity},{stamp},{x:.6f},{y:.6f},{z:.6f};"])
                counts[activity] += 1
    if quirks:
        records[3] = [records[3][0] + records[4][0]]         # two records on one line
        records[4] = []
        records[10] = [records[10][0][:-1] + ",;"]          # a trailing comma
        parts = records[20][0].split(",")
        records[20] = [",".join(parts[:4] + ["", parts[5]])]  # a missing value
        parts = records[30][0].split(",")
        records[30] = [",".join(parts[:2] + ["0"] + parts[3:])]   # timestamp 0
        parts = records[40][0].split(",")
        records[40] = [",".join(parts[:3] + ["1.2.3"] + parts[4:])]  # not a number
        records[50].append("")                               # a blank line
        records[60].append(records[60][0])                  # a reading repeated, as it is
        parts = records[70][0].split(",")
        records[70].append(",".join(parts[:3] + ["7.5"] + parts[4:]))   # another reading at the same time
        for i in (60, 70):
            counts[records[i][0].split(",")[1]] += 1
        records[80] = [", ".join(records[80][0].split(","))]   # spaces after the commas
    text = "\n".join(line for lines in records for line in (lines or [])) + "\n"
    return text, counts


def wisdm_archive(path, text, readme=README, name="WISDM_ar_v1.1/WISDM_ar_v1.1_raw.txt", extra=()):
    """Write `text` as WISDM_ar_latest.tar.gz holds it, with the lab's readme, and `extra`
    (member name, text) pairs."""
    with tarfile.open(path, "w:gz") as archive:
        for member, content in ((name, text), ("WISDM_ar_v1.1/readme.txt", readme), *extra):
            if content is None:
                continue
            data = content.encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return Path(path)


def fourgram_mat(path, words=40, sizes=(300, 40, 40), seed=0, columns=True, compress=False):
    """Write a data.mat stand-in: struct `data` with vocab (a cell of strings) and trainData,
    validData, testData of 1-based word indices as int32, one 4-gram per column (or per row).
    Uncompressed int32 fits the published file's size (465,686 4-grams x 16 bytes = 7,450,976
    of its 7,468,024 bytes; doubles would take 14.9 MB); `compress` as MATLAB's -v7 saves."""
    import scipy.io

    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(words - 2)] + [".", "?"], dtype=object)
    data = {"vocab": vocab}
    for key, n in zip(("trainData", "validData", "testData"), sizes):
        grams = rng.integers(1, words + 1, size=(n, 4)).astype(np.int32)
        grams[:, 3] = (grams[:, 0] + grams[:, 1]) % words + 1     # a 4th word the context predicts
        data[key] = grams.T if columns else grams
    scipy.io.savemat(path, {"data": data}, do_compression=compress)
    return Path(path)


def photo(path, height=48, width=64, seed=0):
    """Write a smooth random RGB photograph as PNG."""
    import matplotlib.image

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    image = np.stack([0.5 + 0.4 * np.sin(6 * x * (c + 1) + rng.uniform(0, 6)) * np.cos(5 * y) for c in range(3)], -1)
    matplotlib.image.imsave(path, np.clip(image, 0, 1).astype(np.float32), format="png")
    return Path(path)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


HTML = b"<!DOCTYPE html><html><head><title>Not here</title></head><body>moved</body></html>\n"


class Server:
    """A local HTTP server: files[path] = bytes served with status 200; modes[path] = "html" (200
    with a web page), "truncated" (the length of the file, half its bytes, then closed), "stall"
    (half its bytes, then 3 s of silence), "unsized" (no Content-Length), "encoded" (gzipped with
    Content-Encoding: gzip when the client accepts it) or an HTTP status such as 404. hits[path]
    counts requests."""

    def __init__(self):
        self.files, self.modes, self.hits = {}, {}, {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                path = self.path
                server.hits[path] = server.hits.get(path, 0) + 1
                mode = server.modes.get(path)
                body = server.files.get(path)
                if isinstance(mode, int) or body is None:
                    self.send_error(mode if isinstance(mode, int) else 404)
                    return
                if mode == "html":
                    body = HTML
                encoded = mode == "encoded" and "gzip" in self.headers.get("Accept-Encoding", "")
                if encoded:                              # a server that gzips whatever the client accepts
                    body = gzip.compress(body)
                self.send_response(200)
                self.send_header("Content-Type", "text/html" if mode == "html" else "application/octet-stream")
                if encoded:
                    self.send_header("Content-Encoding", "gzip")
                if mode != "unsized":
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if mode in ("truncated", "stall") else body)
                if mode == "stall":                      # half the file, then silence
                    self.wfile.flush()
                    time.sleep(3)
                if mode in ("truncated", "unsized"):
                    self.wfile.flush()
                    self.close_connection = True

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def add(self, path, file):
        self.files[path] = Path(file).read_bytes()
        return self.url + path

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@contextlib.contextmanager
def serving():
    server = Server()
    try:
        yield server
    finally:
        server.close()


def refused_url(path="/file"):
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def sources(folder, server, activity_steps=24, images=3):
    """Make every source's stand-in in `folder`, serve it, and return the config's `public:` for them."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text, counts = wisdm_text()
    names = [f"kodim{i:02d}.png" for i in range(1, images + 1)]
    for i, name in enumerate(names):
        server.add(f"/kodak/{name}", photo(folder / name, seed=i))
    mat = fourgram_mat(folder / "data.mat")
    archive = wisdm_archive(folder / "WISDM_ar_latest.tar.gz", text)
    return {
        "cache": str(folder / "cache"),
        "patches": {"url": server.url + "/kodak/", "files": names, "sha256": {}, "patches": 400, "scales": [1, 2]},
        "trigrams": {"url": server.add("/lm/data.mat", mat), "sha256": sha256(mat), "size": mat.stat().st_size},
        "activity": {"url": server.add("/wisdm/WISDM_ar_latest.tar.gz", archive), "sha256": None, "size": None,
                     "counts": counts, "steps": activity_steps, "test_users": 0.34},
    }
