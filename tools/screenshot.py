"""A screenshot of one app page over a results folder: the README's picture, rebuilt by one command.

    python tools/screenshot.py --results results --page recurrent --out docs/images/app.png

(--config: the config whose variants and seeds the app lists, as `streamlit run app.py -- --config`.)

It starts `streamlit run app.py` headless on a free port over --results, opens the page in
Debian's Chromium (/usr/bin/chromium) through Playwright (a test extra; its own browser
download is never used), waits until the page has drawn, and writes a PNG of it. Pages: the
URL paths of the app's pages (overview, autoencoder, language_model, recurrent, experiments,
report, data).
"""
import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def shoot(results, page, out, width=1400, height=1000, full_page=False, timeout=120.0, config=None):
    """Write a PNG of `page` over `results` (and `config`, else the app's default) to `out`; return its path."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = dict(os.environ, NNLAB_RESULTS=str(Path(results).absolute()), PYTHONWARNINGS="ignore")
    if config:
        env["NNLAB_CONFIG"] = str(Path(config).absolute())
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                               "--server.port", str(port), "--server.headless", "true",
                               "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://localhost:{port}"
        deadline = time.monotonic() + timeout
        while not healthy(f"{url}/_stcore/health"):
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"screenshot: streamlit did not start on port {port}")
            time.sleep(0.3)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                                "--no-first-run", "--disable-background-networking"])
            tab = browser.new_page(viewport={"width": width, "height": height})
            tab.goto(f"{url}/{'' if page == 'overview' else page}", timeout=timeout * 1000)
            tab.get_by_role("heading").first.wait_for(timeout=timeout * 1000)
            # drawn: Streamlit's "Running..." indicator gone and the charts' canvases in place
            tab.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')",
                                  timeout=timeout * 1000)
            tab.wait_for_timeout(3000)
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(out), full_page=full_page)
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    return Path(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results", help="the results folder (default: results)")
    parser.add_argument("--config", help="the config the app lists variants and seeds from (default: the app's)")
    parser.add_argument("--page", default="recurrent", help="the page's URL path (default: recurrent)")
    parser.add_argument("--out", default="docs/images/app.png", help="the PNG to write")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--full-page", action="store_true", help="the whole page, not one screen")
    args = parser.parse_args(argv)
    if not Path(args.results).is_dir():
        raise SystemExit(f"screenshot: --results: expected a results folder, found no folder {args.results}")
    if args.config and not Path(args.config).is_file():
        raise SystemExit(f"screenshot: --config: expected a config file, found no file {args.config}")
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"screenshot: expected Chromium at {CHROMIUM} (Debian: apt-get install -y chromium)")
    print(shoot(args.results, args.page, args.out, args.width, args.height, args.full_page, config=args.config))


if __name__ == "__main__":
    main()
