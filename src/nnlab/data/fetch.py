"""Download a public file once into a cache, and never use it unverified.

    fetch(remote, log, read=None) -> Fetched(path, sha256, value)

A `Remote` names where a file comes from (`url`: http(s), ftp, or a local path / file:// URL
standing in for a mirror) and where it lives in the cache (`path`, which is also where a user
can put it by hand). Its checks, in order, are the file's size and sha256 where known, and
its first bytes (`kind`: a server answering with a web page is caught here, not by a reader);
then `read(path)`, the reader of its format, may check its content further (a source with
no published checksum is checked against its published counts this way).

A download goes to a temporary file beside `path`, is checked and read there, and only then
renamed onto `path`: a partial, refused or wrong file is removed, never used. A file already
at `path` (an earlier download, or one put there by hand) is checked the same way and used
without network. Every failure is one DataError line naming the URL, what was expected and
found, and the path where the file can be put by hand.

HTTP is pooch's downloader (requests underneath: redirects, timeouts, streaming); the
caching, checks and messages are here.
"""
import hashlib
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from nnlab.errors import DataError, NnlabError
from nnlab.io import atomic_path

CHUNK = 2**16
TIMEOUT = 60          # seconds without an answer before a download is given up
HEAD_BYTES = 512      # read to tell a file's kind

# What a file's first bytes must be, by kind; and how it reads when they are not.
MAGIC = {
    "gzip": (b"\x1f\x8b", "a gzip archive"),
    "png": (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    "mat": (b"MATLAB 5.0 MAT-file", "a MATLAB 5.0 MAT-file"),
}


@dataclass(frozen=True)
class Remote:
    url: str
    path: Path                # in the cache; also where the file can be put by hand
    kind: str                 # a key of MAGIC
    sha256: str | None = None
    size: int | None = None   # bytes


@dataclass(frozen=True)
class Fetched:
    path: Path
    sha256: str               # the hash found (recorded where no checksum is published)
    value: Any                # what read(path) returned, or None


def default_cache():
    """Where downloads are kept when the config names no cache: the platform's user cache folder
    (~/.cache/nnlab on Linux, as pooch finds it)."""
    import pooch

    return Path(pooch.os_cache("nnlab"))


def _mb(n):
    return f"{n / 1e6:.1f} MB"


def by_hand(remote):
    return f"put the file from {remote.url} at {remote.path} by hand and rerun"


def by_hand_all(remotes):
    """What to do when several files of one source (`remotes`, in one cache folder) are missing;
    for one, by_hand's line."""
    if len(remotes) == 1:
        return by_hand(remotes[0])
    base = remotes[0].url.rsplit("/", 1)[0] + "/"
    names = ", ".join(r.path.name for r in remotes)
    return f"put the {len(remotes)} missing files ({names}) from {base} in {remotes[0].path.parent} by hand and rerun"


class DownloadError(DataError):
    """The file of `remote` could not be downloaded (`problem`, in a few words); nothing was kept.
    `fix` says what to do instead (by default: put that file by hand)."""

    def __init__(self, remote, problem, fix=None):
        super().__init__(f"cannot download {remote.url}: {problem}; {fix or by_hand(remote)}")
        self.remote, self.problem = remote, problem


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def _looks_like(head):
    """What the first bytes of an unexpected file look like, in words."""
    text = head.lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in text[:200]:
        return "an HTML page"
    if text.startswith(b"version https://git-lfs"):
        return "a Git LFS pointer (the repository's placeholder, not the file)"
    if not head:
        return "an empty file"
    for magic, what in MAGIC.values():
        if head.startswith(magic):
            return what
    return f"bytes {head[:8]!r}"


def check(path, remote):
    """(sha256, None) when `path` has the size, kind and hash `remote` expects; else (None, the
    problem as "expected ..., found ..."). The file is left as it is."""
    size = Path(path).stat().st_size
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
    magic, what = MAGIC[remote.kind]
    if not head.startswith(magic):
        return None, f"expected {what}, found {_looks_like(head)} ({size:,} bytes)"
    if remote.size is not None and size != remote.size:
        return None, f"expected {remote.size:,} bytes, found {size:,} (an incomplete or different file)"
    found = _sha256(path)
    if remote.sha256 and found != remote.sha256.lower():
        return None, f"expected sha256 {remote.sha256}, found {found} (a different file)"
    return found, None


class Progress:
    """pooch's progress-bar protocol (total, update, reset, close), written as log lines: one per
    quarter of a file over a megabyte, or per 10 MB when the server gives no length."""

    def __init__(self, name, log, file):
        self.name, self.log, self.file = name, log, file
        self.total, self.done, self.said, self.start = 0, 0, 0, time.monotonic()

    def update(self, n):
        self.done += n          # pooch counts whole chunks: close() says the file's true size
        step = self.total / 4 if self.total else 10e6
        if self.total > 1e6 or not self.total:
            if self.done - self.said >= step and (not self.total or self.done < self.total):
                self.said = self.done
                of = f" of {_mb(self.total)} ({100 * self.done / self.total:.0f}%)" if self.total else ""
                self._say(f"downloading {self.name}: {_mb(self.done)}{of}")

    def reset(self):
        self.done = 0

    def close(self):
        seconds = time.monotonic() - self.start
        self._say(f"downloaded {self.name}: {_mb(Path(self.file).stat().st_size)} in {seconds:.1f} s")

    def _say(self, line):
        if not self.log(line):         # a log file took it: show progress on the terminal too
            print(line, file=sys.stderr, flush=True)


def _local(url):
    """The local file a path or file:// URL names, else None."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if not parsed.scheme or len(parsed.scheme) == 1:   # a path (or a Windows drive letter)
        return Path(url).expanduser()
    return None


def _why(error, timeout):
    """A requests/pooch/OS failure in a few words."""
    import requests

    if isinstance(error, requests.HTTPError) and error.response is not None:
        return f"HTTP {error.response.status_code} {error.response.reason or ''}".strip()
    text = str(error)
    if isinstance(error, requests.Timeout) or "Read timed out" in text:
        return f"no data for {timeout} s"
    if isinstance(error, requests.exceptions.SSLError):
        return "the server's certificate could not be verified (SSL)"
    if isinstance(error, requests.exceptions.ChunkedEncodingError) or "IncompleteRead" in text:
        counts = re.search(r"IncompleteRead\((\d+) bytes read, (\d+) more expected", text)
        of = f" ({int(counts[1]):,} of {int(counts[1]) + int(counts[2]):,} bytes)" if counts else ""
        return f"the connection closed before the end of the file{of}"
    if isinstance(error, requests.ConnectionError):
        errno = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
        if errno:
            return errno.group(1).strip().rstrip(".")
        if "Name or service not known" in text or "NameResolution" in text:
            return "the host name could not be resolved"
        return "could not connect"
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return " ".join(str(error).split()) or type(error).__name__


def _download(remote, tmp, log, timeout):
    """Copy the remote file into `tmp`; a failure is a DataError naming the URL and the manual path."""
    import pooch
    from pooch.downloaders import choose_downloader

    local = _local(remote.url)
    try:
        if local is not None:
            shutil.copyfile(local, tmp)
        else:
            progress = Progress(remote.path.name, log, tmp)
            if urlparse(remote.url).scheme in ("http", "https"):
                # identity: a .tar.gz sent with Content-Encoding: gzip would otherwise be unpacked by requests
                downloader = pooch.HTTPDownloader(progressbar=progress, chunk_size=CHUNK, timeout=timeout,
                                                  headers={"Accept-Encoding": "identity"})
            else:                       # ftp: pooch's own downloader
                downloader = choose_downloader(remote.url, progressbar=progress)
            downloader(remote.url, str(tmp), None)
    except NnlabError:
        raise
    except Exception as error:          # requests', pooch's and the OS's errors, in one line
        problem = _why(error, timeout)
    else:
        problem = None
    if problem:
        raise DownloadError(remote, problem)


def fetch(remote, log, read=None, timeout=TIMEOUT):
    """The verified file of `remote` in the cache, downloading it if it is not there yet.

    read(file, name) -> value reads and checks the content of `file`, calling it `name` in its
    DataErrors; it runs on every use, on the temporary file before a download is kept.
    Returns Fetched(path, sha256, value).
    """
    path = Path(remote.path)
    if path.is_file():
        found, problem = check(path, remote)
        if problem:
            raise DataError(f"{path}: {problem}: not the file of {remote.url}; "
                            f"delete it to download it again, or replace it by hand")
        log(f"using {path} (sha256 {found}): downloaded before, or put there by hand")
        try:
            value = read(path, str(path)) if read else None
        except DataError as error:
            problem = str(error)
        if problem:
            raise DataError(f"{problem}: not the file of {remote.url}; delete it to download it again, "
                            f"or replace it by hand")
        return Fetched(path, found, value)
    log(f"downloading {remote.url} to {path}")
    with atomic_path(path, suffix=".part") as tmp:
        _download(remote, tmp, log, timeout)
        found, problem = check(tmp, remote)
        if problem:
            raise DataError(f"downloaded {remote.url}: {problem}; nothing was kept; {by_hand(remote)}")
        try:
            value = read(tmp, path.name) if read else None
        except DataError as error:
            problem = str(error)
        if problem:
            raise DataError(f"downloaded {remote.url}: {problem}; nothing was kept; {by_hand(remote)}")
    log(f"kept {path} (sha256 {found})")
    return Fetched(path, found, value)
