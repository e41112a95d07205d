"""Safe text for st.markdown: data and user text never become markup."""

import re

from feedback.records import neutralise_bidi

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~:=])")


def escape_markdown(text: str) -> str:
    """The text with every markdown (and emoji-shortcode) character escaped, text-direction controls shown."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", neutralise_bidi(str(text)))
