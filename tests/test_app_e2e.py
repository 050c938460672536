"""End to end in a real browser: `streamlit run app.py` headless on a free port over synthetic
results (`write_results` of test_app.py: the tiny config with one seed, and the default config's
28 variants x 5 seeds, 140 runs), driven with Playwright on Debian's system Chromium
(/usr/bin/chromium; Playwright's own browser download is never used).

Every page is opened (Overview by URL, the others through the sidebar links), waited for by its
own content (headings and texts a user sees, images loaded, Streamlit's "Running..." indicator
gone) and checked; each live-prediction panel and the recurrent "Compare two variants" panel get
one interaction; no page may show a Streamlit exception box. A full-page screenshot of each page
goes to the test's tmp dir and to /tmp/nnlab_screens/ (<page>_<fixture>.png), with each page's
render time (navigation start to content visible) per fixture in
/tmp/nnlab_screens/render_times.json; `pytest -s` prints the times. Times are measured and
recorded, never asserted.

Locators are user-visible text and ARIA roles, not the app's DOM layout. st.dataframe draws on a
canvas; its cells are read from the hidden accessible table (role "grid") it keeps beside it.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from test_app import APP, ROOT, write_experiment, write_results

from nnlab.tasks import TASKS, run_dir, summary_file

CHROMIUM = Path("/usr/bin/chromium")
SCREENS = Path("/tmp/nnlab_screens")
VIEWPORT = {"width": 1400, "height": 1000}
PAGE_TIMEOUT = 60.0                    # seconds: the most any page, or any interaction, may take
MS = int(PAGE_TIMEOUT * 1000)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no system Chromium at {CHROMIUM} "
                                "(Debian: apt-get install -y chromium); Playwright's browser download is not used")


# ------------------------------------------------------------------------ the server


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout, what, interval=0.2):
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


FIXTURES = {"1-seed": {}, "5-seeds": {"seeds": 5, "config": ROOT / "config.yaml"}}


@pytest.fixture(params=list(FIXTURES))
def server(request, tmp_path):
    """The app on synthetic results; yields (url, results folder, info, log path, fixture name)."""
    results, config, info = write_results(tmp_path / "fixture", **FIXTURES[request.param])
    info["experiment"] = write_experiment(results)
    info["config"] = config
    port = free_port()
    env = dict(os.environ, NNLAB_RESULTS=str(results), NNLAB_CONFIG=str(config), PYTHONWARNINGS="ignore")
    log_path = tmp_path / "streamlit.log"
    log = open(log_path, "w")
    # The running run stays running as a live job does, by writing its history every few seconds:
    # untouched, it would read as interrupted once the test outlasts STALE_MIN_SECONDS on a slow machine.
    history = Path(run_dir(results, "autoencoder", info["running"], info["seeds"][-1])) / "history.csv"
    stop = threading.Event()

    def keep_running():
        while not stop.wait(5):
            os.utime(history)

    threading.Thread(target=keep_running, daemon=True).start()
    # No file watcher: other edits of the source tree must not rerun or prompt mid-test.
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
                                "--server.headless", "true", "--server.fileWatcherType", "none",
                                "--browser.gatherUsageStats", "false"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://localhost:{port}"
        try:
            wait_for(lambda: process.poll() is not None or healthy(f"{url}/_stcore/health"), PAGE_TIMEOUT,
                     "/_stcore/health")
        finally:
            if process.poll() is not None:
                log.flush()
                raise AssertionError(f"streamlit exited:\n{log_path.read_text()[-3000:]}")
        yield url, results, info, log_path, request.param
    finally:
        stop.set()
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def tab():
    """A Chromium page (1400 x 1000) from Playwright on the system browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            context = browser.new_context(viewport=VIEWPORT)
            tab = context.new_page()
            tab.set_default_timeout(MS)
            yield tab
        finally:
            browser.close()


# ------------------------------------------------------------------------ helpers


def expect(locator, message=None):
    from playwright.sync_api import expect as _expect

    return _expect(locator, message)


IMAGES_LOADED = "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"
EXCEPTION = '[data-testid="stException"]'             # Streamlit's box for an uncaught exception


def rendered(tab, markers):
    """Wait until every marker locator is visible, every image is loaded and Streamlit's
    "Running..." indicator is gone (the script run, and with it the stale elements of the
    previous page, is over)."""
    for marker in markers:
        expect(marker, f"{marker} on {tab.url}").to_be_visible(timeout=MS)
    expect(tab.get_by_role("img", name="Running...")).to_be_hidden(timeout=MS)
    tab.wait_for_function(IMAGES_LOADED, timeout=MS)


def tables(tab, header):
    """Every table (st.table's DOM table, or the accessible grid of an st.dataframe) that has a
    column `header`, as lists of rows of cell texts, the header row first."""
    found = tab.get_by_role("grid", include_hidden=True).or_(tab.get_by_role("table"))
    content = found.evaluate_all(      # in one call: a table re-rendered meanwhile is never half read
        "ts => ts.map(t => Array.from(t.rows, r => Array.from(r.cells, c => c.textContent.trim())))")
    return [table for table in content if table and header in table[0]]


def column(table, name):
    i = table[0].index(name)
    return [row[i] for row in table[1:] if len(row) > i]


def state_of(tab, variant):
    """The first cell of the status-table row whose cells include `variant`."""
    row = tab.get_by_role("row").filter(has=tab.get_by_role("cell", name=variant, exact=True)).first
    return row.get_by_role("cell").first.inner_text().strip()


def title(tab, name):
    """The page's title (its level-1 heading), by a case-insensitive part of it."""
    return tab.get_by_role("heading", level=1, name=re.compile(re.escape(name), re.I))


def heading(tab, name):
    return tab.get_by_role("heading", name=re.compile(re.escape(name))).first


def text(tab, value):
    return tab.get_by_text(value).filter(visible=True).first


ANSWER = re.compile(r"Too few seeds|\d seeds\): |test set of the first seed")   # the comparison panel's box


def no_alerts(tab, where):
    """Complete results: no error, warning or notice box (role "alert") on the page but the
    comparison panel's answer."""
    alerts = tab.get_by_role("alert").filter(has_not_text=ANSWER)
    expect(alerts, f"alerts on {where}: {alerts.all_inner_texts()}").to_have_count(0)


SVG_CHARTS = """() => Array.from(document.querySelectorAll('svg'), svg => ({
    title: Array.from(svg.querySelectorAll('.role-title-text text'), t => t.textContent).join(' '),
    axes: Array.from(svg.querySelectorAll('.role-axis-title text'), t => t.textContent),
    ticks: Array.from(svg.querySelectorAll('.role-axis-label text'), t => t.textContent),
    legend: Array.from(svg.querySelectorAll('.role-legend-symbol'), s => {
        const label = s.parentElement.querySelector('.role-legend-label text');
        const path = s.querySelector('path');
        const fill = path && path.getAttribute('fill');
        return [label ? label.textContent : null,
                fill && fill !== 'transparent' && fill !== 'none' ? fill : path && path.getAttribute('stroke')];
    })})).filter(c => c.title)"""


def svg_charts(tab):
    """Every Vega chart drawn as SVG (Streamlit's default renderer for small charts): its title (and subtitle),
    axis titles, axis tick labels and legend entries [label as drawn, symbol colour]."""
    return tab.evaluate(SVG_CHARTS)


def legend_colours(found):
    """{label: colour} of a chart's legend (svg_charts')."""
    return {label: colour for label, colour in found["legend"]}


def check_legends(tab, names, where):
    """Every legend entry on the page is a whole name (Vega cuts a long label with "…"), and each of `names`
    shown in two or more legends has one colour in all of them: returns {name: colour}."""
    seen = {}
    for found in svg_charts(tab):
        for label, colour in found["legend"]:
            assert label and not label.endswith("…"), f"{where}: legend label {label!r} cut in {found['title']!r}"
            seen.setdefault(label, set()).add(colour)
    for name in names:
        assert len(seen.get(name, ())) <= 1, f"{where}: {name} has colours {seen[name]}"
    return {name: next(iter(seen[name])) for name in names if name in seen}


def chart(tab, title):
    """An Altair chart (an image whose text includes its title)."""
    return tab.get_by_role("img").filter(has_text=title).first


def screenshot(tab, path):
    """The whole page: Streamlit scrolls inside its main block, so the viewport is stretched to
    the tallest scroll height first, then restored."""
    height = tab.evaluate("Math.max(...Array.from(document.querySelectorAll('*'), e => e.scrollHeight))")
    tab.set_viewport_size({"width": VIEWPORT["width"], "height": int(min(max(height + 80, VIEWPORT["height"]), 12000))})
    tab.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")  # one re-layout
    expect(tab.get_by_role("img", name="Running...")).to_be_hidden(timeout=MS)
    tab.screenshot(path=path, full_page=True)
    tab.set_viewport_size(VIEWPORT)


# ------------------------------------------------------------------------ the pages


def page_markers(tab, info, vocabulary):
    """What each page must show once rendered: page title -> locators."""
    return {
        "Overview": [title(tab, "nnlab"), heading(tab, "At a glance"), heading(tab, "Runs"),
                     heading(tab, "Live progress"),
                     *(heading(tab, t.title) for t in TASKS.values()), text(tab, re.compile(r"\d+ of \d+ runs done"))],
        "Data": [title(tab, "Data"), heading(tab, "Image patches"), heading(tab, "Trigrams"),
                 heading(tab, "Activity windows"), text(tab, f"{len(vocabulary)} words"),
                 chart(tab, "class balance per split")],
        "Sparse autoencoder": [title(tab, "autoencoder"), heading(tab, "β × ρ sweep"),
                               heading(tab, "L_hid × λ grid"), text(tab, info["chosen"]), heading(tab, "Metrics"),
                               chart(tab, "β × ρ sweep"), answer(tab)],
        "Neural language model": [title(tab, "language model"), heading(tab, "Live prediction"),
                                  heading(tab, "Embedding map"), *(text(tab, v) for v in info["language_model"]),
                                  chart(tab, "test cross-entropy per variant"), chart(tab, "accuracy per epoch"),
                                  answer(tab)],
        "Recurrent activity classifier": [title(tab, "recurrent"), heading(tab, "Confusion matrices"),
                                          chart(tab, "test: accuracy"), heading(tab, "Live classification"),
                                          heading(tab, "Full BPTT"), heading(tab, "Truncated BPTT"),
                                          chart(tab, "test accuracy per variant"), answer(tab)],
        "Experiments": [title(tab, "Experiments"), heading(tab, TASKS["recurrent"].title),
                        chart(tab, "experiment − baseline"), heading(tab, "Curves across experiments"),
                        *(text(tab, v) for v in info["experiment"]), answer(tab)],
        "The report": [title(tab, "The report"), *(heading(tab, f"Question {q}") for q in (1, 2, 3)),
                       heading(tab, "The cells, from their equations"), heading(tab, "The backward signal per time step"),
                       text(tab, info["claims"]["statement"].iloc[0]),
                       tab.get_by_role("img", name="figure features").or_(tab.locator("img")).first],
    }


def answer(tab):
    """The comparison panel's answer box (a warning is an "alert", a notice a "status")."""
    return tab.get_by_role("alert").or_(tab.get_by_role("status")).filter(has_text=ANSWER).first


def compare(tab, info):
    """Pick another "Variant B" in the recurrent comparison panel: the answer names it."""
    a, b = info["recurrent"][0], info["recurrent"][-1]
    box = tab.get_by_role("combobox", name="Variant B")
    start = time.perf_counter()
    box.click()
    box.press_sequentially(b)
    tab.get_by_role("option", name=b, exact=True).click()
    expect(tab.get_by_role("alert").or_(tab.get_by_role("status")).filter(has_text=ANSWER).filter(
        has_text=b).first).to_be_visible(timeout=MS)
    expect(tab.get_by_role("img", name="Running...")).to_be_hidden(timeout=MS)
    seconds = time.perf_counter() - start
    assert a in answer(tab).inner_text()
    return seconds


def check_overview(tab, results, info):
    """Each task's key metric with its interval and best variant; each root's runs counted (the experiment's
    too); each task's progress bar; unfolded, the status tables list every variant with its state; the failed
    one's error is shown."""
    for variants in (info["language_model"], info["recurrent"]):
        runs = len(variants) * len(info["seeds"])
        expect(text(tab, f"{runs} of {runs} runs done")).to_be_visible()
    expect(text(tab, re.compile(r"\d+ of \d+ runs done · 1 running · 1 failed"))).to_be_visible()
    for name, task in TASKS.items():                  # at a glance: each task's key metric with its interval
        summary = pd.read_csv(summary_file(results, name))
        metric = task.key_metric
        pick = summary[metric.name].idxmin() if metric.lower_is_better else summary[metric.name].idxmax()
        expect(text(tab, re.compile(rf"^Best: {re.escape(summary.loc[pick, 'variant'])}, "
                                    rf"{re.escape(metric.label)} .+ \(95% CI .+\)$"))).to_be_visible()
        expect(chart(tab, f"{metric.label}, 95% CI")).to_be_visible()
    expect(tab.get_by_role("link", name="Every result of this task")).to_have_count(len(TASKS))
    runs = len(info["experiment"]) * len(info["seeds"])          # the experiment's runs, counted beside the baseline
    expect(text(tab, re.compile(rf"experiment lr-e2e.*{runs} of {runs} runs done"))).to_be_visible()
    folded = tab.get_by_text(re.compile(r"^Every variant \("))
    from nnlab import config as nnlab_config, status
    # one per task of every root: the baseline's three, the report recipe's, the experiment's one
    roots = sum(len(root.tasks) for root in status.roots(results, nnlab_config.read(info["config"])))
    assert roots == len(TASKS) + len(TASKS) + 1
    expect(folded).to_have_count(roots)
    for i in range(roots):
        folded.nth(i).click()
    expected = {info["chosen"]: "done", info["running"]: "running", info["failed"]: "failed",
                info["not_started"]: "not started",
                **{v: "done" for v in info["language_model"] + info["recurrent"]}}
    states = {variant: state_of(tab, variant) for variant in expected}
    assert states == expected
    alerts = tab.get_by_role("alert")
    expect(alerts).to_have_count(1)                     # the failed variant's message, nothing else
    expect(alerts).to_contain_text(info["failed"])


def live_prediction(tab, results, info):
    """Type three words other than the default trigram; every trained variant's top-10 table
    changes to ten distinct vocabulary words with probabilities in descending order."""
    data = np.load(results / "data" / "trigrams.npz")
    words = [str(w) for w in data["words"]]
    default = {words[int(i)] for i in data["x_test"][0]}
    context = [w for w in words if w not in default and w.isalpha()][:3]
    n = len(info["language_model"])
    wait_for(lambda: len(tables(tab, "4th word")) == n, PAGE_TIMEOUT, f"{n} live top-10 tables")
    before = tables(tab, "4th word")
    box = tab.get_by_role("textbox", name="…or type three words")
    start = time.perf_counter()
    box.fill(" ".join(context))
    box.press("Enter")
    expect(text(tab, " ".join(context))).to_be_visible(timeout=MS)
    after = wait_for(lambda: (t := tables(tab, "4th word")) and len(t) == n
                     and all(a != b for a, b in zip(t, before)) and t, PAGE_TIMEOUT,
                     f"every variant's top-10 table for {context}")
    expect(tab.get_by_role("img", name="Running...")).to_be_hidden(timeout=MS)
    seconds = time.perf_counter() - start
    for table in after:
        top, probabilities = column(table, "4th word"), [float(p) for p in column(table, "probability")]
        assert len(top) == 10 and len(set(top)) == 10 and set(top) <= set(words), table
        assert all(0 < p <= 1 for p in probabilities) and probabilities == sorted(probabilities, reverse=True), table
    return seconds


def live_classification(tab, results, info):
    """Choose a "True class" other than the first test window's: the window shown is of that
    class and every trained variant gets a row of class probabilities (and the chart)."""
    data = np.load(results / "data" / "activity.npz")
    classes = [str(c) for c in data["classes"]]
    chosen = next(c for i, c in enumerate(classes) if i != int(data["y_test"][0]))
    wait_for(lambda: len(tables(tab, "predicted")) == 1, PAGE_TIMEOUT, "the class-probability table")
    before = tables(tab, "predicted")
    box = tab.get_by_role("combobox", name="True class")
    start = time.perf_counter()
    box.click()
    box.press_sequentially(chosen)
    tab.get_by_role("option", name=chosen, exact=True).click()
    expect(text(tab, re.compile(rf"true class\W+{re.escape(chosen)}"))).to_be_visible(timeout=MS)
    [table] = wait_for(lambda: (t := tables(tab, "predicted")) and t != before and t, PAGE_TIMEOUT,
                       f"class probabilities of a {chosen} window")
    expect(chart(tab, "class probabilities")).to_be_visible(timeout=MS)
    expect(tab.get_by_role("img", name="Running...")).to_be_hidden(timeout=MS)
    seconds = time.perf_counter() - start
    assert sorted(column(table, "variant")) == sorted(info["recurrent"]), table
    assert set(column(table, "predicted")) <= set(classes), table
    shown = [c for c in classes if c in table[0]]       # the grid's accessible copy holds the columns in view
    assert shown, table
    for c in shown:
        assert all(0 <= float(p) <= 1 for p in column(table, c)), table
    return seconds


def test_every_page_renders_in_chromium(server, tab, tmp_path):
    url, results, info, log, fixture = server
    vocabulary = [str(w) for w in np.load(results / "data" / "trigrams.npz")["words"]]
    pages = page_markers(tab, info, vocabulary)
    SCREENS.mkdir(parents=True, exist_ok=True)
    for old in SCREENS.glob(f"*_{fixture}.png"):
        old.unlink(missing_ok=True)
    render, interactions = {}, {}

    def shoot(name):
        shot = tmp_path / f"{name.lower().replace(' ', '_')}_{fixture}.png"
        screenshot(tab, shot)
        assert shot.read_bytes()[:4] == b"\x89PNG"
        shutil.copy(shot, SCREENS / shot.name)

    def visit(name):
        """Open page `name` (Overview first by URL, then by the sidebar link); seconds to rendered."""
        start = time.perf_counter()
        if name == "Overview" and not render:
            tab.goto(url, wait_until="commit")          # cold: the app's scripts, websocket and first run
        else:                                           # navigation inside the running app
            tab.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()
        rendered(tab, pages[name])
        return round(time.perf_counter() - start, 3)

    name = "Overview"
    try:
        for name in pages:
            render[name] = visit(name)
            expect(tab.locator(EXCEPTION)).to_have_count(0)
            if name == "Overview":
                nav = tab.get_by_role("navigation")              # every page of the app is visited here
                expect(nav.get_by_role("link")).to_have_count(len(pages))
                for page in pages:
                    expect(nav.get_by_role("link", name=page, exact=True)).to_have_count(1)
                check_overview(tab, results, info)
            else:
                no_alerts(tab, name)
            if name == "Recurrent activity classifier":        # one colour per variant: curves and live bars
                wait_for(lambda: any(c["title"].startswith("class probabilities") and c["legend"]
                                     for c in svg_charts(tab)), PAGE_TIMEOUT, "the class-probability legend")
                colours = check_legends(tab, info["recurrent"], name)
                by_title = {c["title"]: legend_colours(c) for c in svg_charts(tab)}
                bars = next(v for t, v in by_title.items() if t.startswith("class probabilities"))
                curves = [v for t, v in by_title.items() if t.startswith("accuracy") and set(v) & set(bars)]
                assert curves and all(c[n] == bars[n] for c in curves for n in set(c) & set(bars)), by_title
                assert set(colours) >= set(bars)
            if name == "Experiments":
                labels = [f"{v} ({e})" for v in info["experiment"] for e in ("baseline", "lr-e2e")]
                chart(tab, "cross-entropy").scroll_into_view_if_needed()     # the curves, drawn
                shown = wait_for(lambda: (c := check_legends(tab, labels, name)) and set(c) >= set(labels[:2]) and c,
                                 PAGE_TIMEOUT, f"legends naming {labels[:2]}")    # every label whole, one colour
                forest = next(c for c in svg_charts(tab) if "experiment − baseline" in c["title"])
                assert any("difference in points" in a for a in forest["axes"]), forest["axes"]
                assert "0" in forest["ticks"], forest["ticks"]          # zero always on the axis
            if name == "Neural language model":
                interactions["Language model: type three words"] = round(live_prediction(tab, results, info), 3)
            if name == "Recurrent activity classifier":
                interactions["Recurrent: choose a true class"] = round(live_classification(tab, results, info), 3)
                interactions["Recurrent: compare with another Variant B"] = round(compare(tab, info), 3)
                summary = Path(summary_file(results, "recurrent"))     # rewritten after the page read it:
                summary.write_bytes(summary.read_bytes() + b"\n")      # the download is the file as it is now
                with tab.expect_download() as download:
                    tab.get_by_role("button", name="Download recurrent.csv").click()
                assert Path(download.value.path()).read_bytes() == summary.read_bytes()
            expect(tab.locator(EXCEPTION)).to_have_count(0)
            if name != "Overview":
                no_alerts(tab, f"{name}, after the interaction")
            shoot(name)
        name = "Overview"
        render["Overview, again from the sidebar"] = visit(name)   # warm, comparable with the others
        expect(tab.locator(EXCEPTION)).to_have_count(0)
    except Exception:
        shoot(f"failed on {name}")                     # what the browser showed when it went wrong
        raise

    assert "Uncaught app execution" not in log.read_text(), log.read_text()[-3000:]
    times = SCREENS / "render_times.json"
    try:
        report = json.loads(times.read_text())
    except (OSError, ValueError):
        report = {}
    report = report if isinstance(report.get("fixtures"), dict) else {"fixtures": {}}
    report["seconds"] = ("navigation start (the first Overview: page.goto, cold; the others: a sidebar link click) "
                         "to the page's content visible and Streamlit's run finished")
    runs = sum(1 for _ in results.glob("*/*/seed*/metrics.json"))
    report["fixtures"][fixture] = {"runs done": runs, "pages": render, "interactions": interactions}
    times.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{fixture} ({runs} runs done) page render times (s): "
          + ", ".join(f"{k} {v:.2f}" for k, v in render.items()))
    print("live interactions (s): " + ", ".join(f"{k} {v:.2f}" for k, v in interactions.items()))


def test_the_readme_screenshot_command_writes_a_picture_of_the_page(tmp_path):
    """tools/screenshot.py, the README picture's documented command: a PNG of the page asked for."""
    from PIL import Image

    results, config, _ = write_results(tmp_path / "fixture")
    out = tmp_path / "shot.png"
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "screenshot.py"), "--results", str(results),
                           "--config", str(config), "--page", "recurrent", "--out", str(out), "--width", "900", "--height", "700"],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert Image.open(out).size == (900, 700)
    missing = subprocess.run([sys.executable, str(ROOT / "tools" / "screenshot.py"), "--results",
                              str(tmp_path / "nowhere")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and missing.stderr.strip().count("\n") == 0
    assert "--results" in missing.stderr and "nowhere" in missing.stderr
