"""Involve's machine side: data, use cases, the iteration registry, explanations and figures.

Never imports streamlit, so everything here is testable on its own.
"""

__version__ = "0.1.0"
