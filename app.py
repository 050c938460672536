"""nnlab results browser: `streamlit run app.py [-- --results PATH --config FILE --refresh S]` (docs/app.md)."""
import functools
import sys
from pathlib import Path

import streamlit as st

from nnlab import tasks
from nnlab.app import PAGES_DIR, settings, task_page, ui
from nnlab.errors import ConfigError

APP_DIR = Path(__file__).resolve().parent

st.set_page_config(page_title="nnlab", page_icon=":material/neurology:", layout="wide")
# Script arguments (after `--`) only when this file is the script streamlit runs.
argv = sys.argv[1:] if sys.argv and Path(sys.argv[0]).resolve() == Path(__file__).resolve() else []
try:
    st.session_state[ui.SETTINGS_KEY] = settings.resolve(APP_DIR, argv)
except ConfigError as error:
    st.error(ui.md(error), icon=":material/settings_alert:")
    st.stop()

task_pages = {name: st.Page(functools.partial(task_page.render, name), title=task.title, url_path=name,
                             icon=task.icon) for name, task in tasks.TASKS.items()}
st.session_state[ui.PAGES_KEY] = task_pages          # the Overview links to them
page = st.navigation([
    st.Page(PAGES_DIR / "overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page(PAGES_DIR / "data.py", title="Data", icon=":material/dataset:"),
    *task_pages.values(),
    st.Page(PAGES_DIR / "experiments.py", title="Experiments", icon=":material/science:"),
    st.Page(PAGES_DIR / "report.py", title="The report", icon=":material/fact_check:"),
])

with st.sidebar:
    st.caption(f"Results: {ui.md(ui.results(), code=True)}")
    st.caption(f"Config: {ui.md(ui.settings().config, code=True)}")

page.run()
