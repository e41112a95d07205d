"""Safe text for Streamlit: data and user text never become markup.

Every string a page hands to a Streamlit call that renders markdown (body text, alerts, captions,
headers, widget / metric / expander / tab / page-link labels, help) is either a constant of the
code or built here: `md(template, *values)` keeps the code's template as markdown and escapes
every value; `plain(value)` escapes a whole string. Both return `Markdown`, which is never escaped
twice. `tests/unit/test_markdown_guard.py` refuses any other way of formatting text into those calls.
"""

from __future__ import annotations

import re
import string

from feedback.records import neutralise_bidi

#: Escaped wherever they are: emphasis, code, links and images, HTML and autolinks, math,
#: strikethrough, e-mail autolinks, and the backslash itself.
_INLINE = re.compile(r"([\\`*_\[\]<$~@])")
#: A colon that starts something (":red[x]", ":material/x:", ":smile:", "https://"); ": " stays as it is.
_COLON = re.compile(r":(?!\s)")
#: GFM links "https://…", "www.…" and "a@b.c" found in the text after escapes are resolved (remark-gfm
#: works on the text), so escaping cannot stop them: a zero-width space breaks each pattern instead.
_ZWSP = "\u200b"
#: What starts a block at the start of a line (or of the value): heading, quote, table row, list item,
#: setext underline, numbered item ("1." / "1)"); elsewhere these characters are text and stay as they are
#: (a table needs a delimiter row, which starts a line with "|", "-" or ":").
_BLOCK_START = re.compile(r"^([ \t]*)([=>|]|#(?=#*(?:[ \t]|$))|[+\-](?=[ \t\-]|$))", re.MULTILINE)
_NUMBERED = re.compile(r"^([ \t]*\d{1,9})([.)])(?=[ \t]|$)", re.MULTILINE)


class Markdown(str):
    """Markdown made by the code from escaped values: safe to render, never escaped again."""

    __slots__ = ()


def escape_markdown(text: object) -> str:
    """The text with every character that could start markup escaped (so it renders as written), text-direction
    controls shown; a `Markdown` value is returned unchanged."""
    if isinstance(text, Markdown):
        return str(text)
    text = _INLINE.sub(r"\\\1", neutralise_bidi(str(text)))
    text = _COLON.sub(r"\\:", text).replace("\\:/", "\\:" + _ZWSP + "/").replace("\\@", "\\@" + _ZWSP)
    text = re.sub(r"(?i)\b(www)\.", "\\1" + _ZWSP + ".", text)
    return _BLOCK_START.sub(r"\1\\\2", _NUMBERED.sub(r"\1\\\2", text))


class _EscapingFormatter(string.Formatter):
    def format_field(self, value: object, format_spec: str) -> str:
        if isinstance(value, Markdown):
            return str(value)
        return escape_markdown(format(value, format_spec))


_FORMATTER = _EscapingFormatter()


def md(template: str, *values: object, **named: object) -> Markdown:
    """The code's markdown `template` (str.format fields) with every value escaped; a `Markdown` value is kept."""
    return Markdown(_FORMATTER.format(template, *values, **named))


def plain(value: object) -> Markdown:
    """`value` as text that renders exactly as written (every markdown character escaped)."""
    return Markdown(escape_markdown(value))


def join(separator: str, parts: object) -> Markdown:
    """The parts (each escaped unless already `Markdown`) joined by the code's own `separator`."""
    return Markdown(separator.join(escape_markdown(p) for p in parts))  # type: ignore[union-attr]
