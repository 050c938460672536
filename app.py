"""nnlab results browser: `streamlit run app.py [-- --results PATH --config FILE]`.

Pages live in src/nnlab/app/pages/; see docs/app.md.
"""
import sys
from pathlib import Path

import streamlit as st

from nnlab.app import PAGES_DIR, settings, ui

APP_DIR = Path(__file__).resolve().parent

# Script arguments (after `--`) only when this file is the script streamlit runs.
argv = sys.argv[1:] if sys.argv and Path(sys.argv[0]).resolve() == Path(__file__).resolve() else []
st.session_state[ui.SETTINGS_KEY] = settings.resolve(APP_DIR, argv)

st.set_page_config(page_title="nnlab", page_icon=":material/neurology:", layout="wide")

page = st.navigation([
    st.Page(PAGES_DIR / "overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page(PAGES_DIR / "data.py", title="Data", icon=":material/dataset:"),
    st.Page(PAGES_DIR / "autoencoder.py", title="Autoencoder", icon=":material/grid_on:"),
    st.Page(PAGES_DIR / "language_model.py", title="Language model", icon=":material/text_fields:"),
    st.Page(PAGES_DIR / "recurrent.py", title="Recurrent", icon=":material/timeline:"),
])

with st.sidebar:
    s = st.session_state[ui.SETTINGS_KEY]
    st.caption(f"Results: {ui.md(s.results, code=True)}")
    st.caption(f"Config: {ui.md(s.config, code=True)}")

page.run()
