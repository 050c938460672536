"""The Streamlit results browser (`streamlit run app.py`).

Modules: `settings` (which results folder and config), `state` (the variants a config
defines and the state of each run in the results folder, no Streamlit), `loaders` (cached,
mtime-keyed readers that turn missing, corrupt or oversized files into messages, and
trained models through nnlab.models.load), `ui` (what every page shares: Markdown-safe text,
messages, numbers with their intervals, tables), `charts` (Altair), `task_page` (the page of
any task of nnlab.tasks), `extras/` (each task's own sections) and `pages/` (Overview, Data).
"""
from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parent / "pages"
