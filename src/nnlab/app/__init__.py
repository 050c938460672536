"""The Streamlit results browser (`streamlit run app.py`).

Modules: `settings` (which results folder and config), `state` (the variants a config
defines and the state of each in the results folder, no Streamlit), `loaders` (cached,
mtime-keyed readers that turn missing, corrupt or oversized files into messages, and
trained models through nnlab.models.load), `ui` (the parts every page shares: header,
curves, metrics, Markdown-safe text, charts), and `pages/` (one script per page, each
section a function, registered with `st.navigation` in app.py).
"""
from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parent / "pages"
