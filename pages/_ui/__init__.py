"""UI helpers shared by the pages (Streamlit does not treat this folder as a page)."""
