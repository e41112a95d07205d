"""Safe text for st.markdown: data and user text never become markup."""

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~:=])")


def escape_markdown(text: str) -> str:
    """The text with every markdown (and emoji-shortcode) character escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
