"""The Streamlit results browser (`streamlit run app.py`); docs/app.md says which module does what."""
from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parent / "pages"
