"""Involve's human side: the feedback store, its schema and migrations, and its records.

Never imports streamlit, so everything here is testable on its own.
"""
