"""The Streamlit results browser (`streamlit run app.py`).

Modules: `settings` (which results folder and config), `state` (the variants a config
defines and the state of each in the results folder, no Streamlit), `loaders` (cached,
mtime-keyed readers that turn missing or corrupt files into messages), `ui` (shared
widgets and charts), `predict` (live predictions from saved params.npz), and `pages/`
(one script per page, registered with `st.navigation` in app.py).
"""
from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parent / "pages"
