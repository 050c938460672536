"""End to end: `streamlit run app.py` headless on a free port over synthetic results, each page
loaded in Debian's headless Chromium; checks the rendered Overview table and saves screenshots
(in the test's tmp dir, copied to /tmp/nnlab_screens/).

Chromium is driven over the DevTools protocol (the `websockets` client Streamlit depends on) so
the test waits for the page's own content instead of a fixed virtual-time budget, which on a
busy machine can run out before the app's first websocket reply.
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from test_app import APP, ROOT, write_results

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
SCREENS = Path("/tmp/nnlab_screens")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000", "--hide-scrollbars"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                "(Debian: apt-get install -y chromium)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout, what, interval=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def healthy(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except OSError:
        return False


class Browser:
    """Headless Chromium on a DevTools websocket: navigate, evaluate, screenshot."""

    def __init__(self, profile):
        from websockets.sync.client import connect

        port_file = Path(profile) / "DevToolsActivePort"
        self.process = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}",
                                         "--remote-debugging-port=0", "about:blank"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port = wait_for(lambda: port_file.exists() and len(port_file.read_text().split()) >= 2
                        and port_file.read_text().split()[0], 30, "chromium's DevTools port")
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        page = next(t for t in targets if t["type"] == "page")
        self.ws = connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=30).__enter__()
        self.ids = iter(range(1, 1 << 30))

    def call(self, method, **params):
        i = next(self.ids)
        self.ws.send(json.dumps({"id": i, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("id") == i:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})

    def js(self, expression):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def text(self):
        return self.js("document.body ? document.body.innerText : ''") or ""

    def screenshot(self, path):
        """The whole page: the viewport is stretched to the main block's height first."""
        height = self.js("(() => { const m = document.querySelector('[data-testid=\"stMainBlockContainer\"]');"
                         " return m ? m.scrollHeight + 120 : 1000; })()") or 1000
        self.call("Emulation.setDeviceMetricsOverride", width=1400, height=int(min(max(height, 1000), 12000)),
                  deviceScaleFactor=1, mobile=False)
        time.sleep(0.5)                                    # let charts re-layout to the new size
        data = self.call("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))
        self.call("Emulation.clearDeviceMetricsOverride")

    def close(self):
        try:
            self.ws.__exit__(None, None, None)
        finally:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def server(tmp_path):
    pytest.importorskip("websockets.sync.client")
    results, config, info = write_results(tmp_path / "fixture")
    port = free_port()
    env = dict(os.environ, NNLAB_RESULTS=str(results), NNLAB_CONFIG=str(config), PYTHONWARNINGS="ignore")
    log = open(tmp_path / "streamlit.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
                                "--server.headless", "true"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        url = f"http://localhost:{port}"
        try:
            wait_for(lambda: process.poll() is not None or healthy(f"{url}/_stcore/health"), 60, "/_stcore/health")
        finally:
            if process.poll() is not None:
                log.flush()
                raise AssertionError(f"streamlit exited:\n{(tmp_path / 'streamlit.log').read_text()[-3000:]}")
        yield url, info
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def page_markers(info):
    """What each page must show once rendered: URL path -> texts."""
    return {
        "": ["nnlab results", "Summary tables", *info["language_model"], *info["recurrent"], "Live progress"],
        "data": ["Image patches", "Trigrams", "Activity windows", "class balance per split"],
        "autoencoder": ["β × ρ sweep", "L_hid × λ grid", info["chosen"]],
        "language_model": ["Live prediction", "Embedding map", *info["language_model"]],
        "recurrent": ["Confusion matrices", "Live classification", "Full BPTT", "Truncated BPTT"],
    }


IMAGES_LOADED = "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"
ERRORS = "document.querySelectorAll('[data-testid=\"stException\"], [data-testid=\"stAlertContentError\"]').length"


def test_app_renders_in_headless_chromium(server, tmp_path):
    url, info = server
    profile = tempfile.mkdtemp(prefix="nnlab-chromium-")
    browser = Browser(profile)
    shots = []
    try:
        browser.call("Page.enable")
        for path, markers in page_markers(info).items():
            if path:         # the sidebar link: navigation inside the running app, no reload
                link = f"document.querySelector('[data-testid=\"stSidebarNav\"] a[href$=\"/{path}\"]')"
                wait_for(lambda: browser.js(f"!!{link}"), 30, f"the sidebar link to /{path}")
                browser.js(f"{link}.click()")
            else:
                browser.call("Page.navigate", url=url)
            wait_for(lambda: all(m in browser.text() for m in markers), 60,
                     f"{markers} on /{path}:\n{browser.text()[:2000]}")
            wait_for(lambda: browser.js(IMAGES_LOADED), 30, f"the images of /{path}")
            if path == "":
                tables = browser.js("document.querySelectorAll('[data-testid=\"stTable\"] table').length")
                assert tables == 3, browser.text()[:3000]          # one status table per task
                for variant, state in ((info["chosen"], "done"), (info["running"], "running"),
                                       (info["failed"], "failed"), (info["not_started"], "not started")):
                    row = browser.js(
                        "Array.from(document.querySelectorAll('[data-testid=\"stTable\"] tr'))"
                        f".map(r => r.innerText).find(t => t.includes({json.dumps(variant)})) || ''")
                    assert row.split("\t")[0].strip() == state, (variant, row)
                assert browser.js(ERRORS) == 1                      # the failed variant's message only
            else:
                assert browser.js(ERRORS) == 0, f"/{path}:\n{browser.text()[:3000]}"
            time.sleep(0.5)                                         # charts finish their first layout
            shot = tmp_path / f"{path or 'overview'}.png"
            browser.screenshot(shot)
            assert shot.read_bytes()[:4] == b"\x89PNG"
            shots.append(shot)
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)
    SCREENS.mkdir(parents=True, exist_ok=True)
    for shot in shots:
        shutil.copy(shot, SCREENS / shot.name)
