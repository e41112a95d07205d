"""The unsafe way is not the easy way: every text a page hands to a markdown-rendering Streamlit call
is a constant of the code or made by the escaping helpers of pages/_ui/text.py (an AST walk)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pages._ui.text import Markdown, escape_markdown, join, md, plain

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = [ROOT / "app.py", *sorted((ROOT / "pages").rglob("*.py"))]
TEXT_MODULE = ROOT / "pages" / "_ui" / "text.py"

#: Streamlit calls whose text arguments are rendered as (a subset of) markdown.
RENDERS = {
    "markdown", "write", "caption", "error", "warning", "info", "success", "toast", "title", "header",
    "subheader", "expander", "tabs", "page_link", "metric", "button", "checkbox", "toggle", "radio",
    "selectbox", "multiselect", "text_input", "text_area", "number_input", "slider", "select_slider",
    "date_input", "time_input", "download_button", "form_submit_button", "link_button", "popover",
    "file_uploader", "segmented_control", "pills", "status", "color_picker", "chat_input", "dialog",
}  # fmt: skip
TEXT_KEYWORDS = {"label", "body", "help", "captions", "title"}
SAFE_CALLS = {"md", "plain", "join"}
NOT_STREAMLIT = {"log", "logger", "logging", "LOG"}


def _assignments(scope: ast.AST) -> dict[str, list[ast.AST | None]]:
    """What each name of a scope is bound to (None: a binding the guard cannot see, e.g. a loop or a parameter)."""
    bound: dict[str, list[ast.AST | None]] = {}
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        for arg in [*scope.args.args, *scope.args.kwonlyargs, *scope.args.posonlyargs]:
            bound.setdefault(arg.arg, []).append(None)
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    bound.setdefault(target.id, []).append(node.value)
                else:
                    for sub in ast.walk(target):
                        if isinstance(sub, ast.Name):
                            bound.setdefault(sub.id, []).append(None)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
            value = node.value if isinstance(node, ast.AnnAssign) else None
            bound.setdefault(node.target.id, []).append(value)
        elif isinstance(node, ast.For) and isinstance(node.iter, ast.Name) and node.iter.id.isupper():
            for sub in ast.walk(node.target):  # a loop over a constant table: as safe as the table
                if isinstance(sub, ast.Name):
                    bound.setdefault(sub.id, []).append(node.iter)
        elif isinstance(node, (ast.For, ast.comprehension, ast.With, ast.NamedExpr)):
            targets = [node.target] if not isinstance(node, ast.With) else [i.optional_vars for i in node.items]
            for target in targets:
                for sub in ast.walk(target) if target is not None else ():
                    if isinstance(sub, ast.Name):
                        bound.setdefault(sub.id, []).append(None)
    return bound


def _is_safe(node: ast.AST, bound: dict[str, list[ast.AST | None]], seen: frozenset[str] = frozenset()) -> bool:
    """Whether the expression is text of the code or made by the escaping helpers."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.JoinedStr):
        return all(isinstance(part, ast.Constant) for part in node.values)
    if isinstance(node, ast.Call):
        func = node.func
        return isinstance(func, ast.Name) and func.id in SAFE_CALLS
    if isinstance(node, ast.IfExp):
        return _is_safe(node.body, bound, seen) and _is_safe(node.orelse, bound, seen)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # joining safe parts
        return _is_safe(node.left, bound, seen) and _is_safe(node.right, bound, seen)
    if isinstance(node, ast.BoolOp):
        return all(_is_safe(v, bound, seen) for v in node.values)
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(_is_safe(e, bound, seen) for e in node.elts)
    if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
        return _is_safe(node.elt, bound, seen)
    if isinstance(node, ast.Dict):
        return all(_is_safe(v, bound, seen) for v in node.values)
    if isinstance(node, ast.Subscript):  # a lookup in a table, e.g. ACTIONS[status]: safe when the table is
        return isinstance(node.value, ast.Name) and _is_safe(node.value, bound, seen)
    if isinstance(node, ast.Name):
        values = bound.get(node.id)
        if node.id.isupper() and not values:  # a constant imported from the code
            return True
        if not values or node.id in seen:
            return False
        return all(v is not None and _is_safe(v, bound, seen | {node.id}) for v in values)
    return False


def _text_arguments(call: ast.Call) -> list[ast.AST]:
    name = call.func.attr  # type: ignore[attr-defined]
    if name == "page_link":
        positional = call.args[1:2]
    elif name == "write":
        positional = call.args
    else:
        positional = call.args[:1]
    return [*positional, *(k.value for k in call.keywords if k.arg in TEXT_KEYWORDS)]


def unsafe_render_calls(path: Path) -> list[str]:
    """Every markdown-rendering call of a script given text that is neither constant nor escaped."""
    tree = ast.parse(path.read_text(), filename=str(path))
    scopes: list[ast.AST] = [
        tree,
        *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))),
    ]
    owner: dict[ast.AST, ast.AST] = {}
    for scope in scopes:  # innermost scope wins: functions come after the module in `scopes`
        for node in ast.walk(scope):
            owner[node] = scope
    found = []
    bound_by_scope = {scope: _assignments(scope) for scope in scopes}
    module_bound = bound_by_scope[tree]
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        receiver = node.func.value
        if node.func.attr in {"html"} and isinstance(receiver, ast.Name) and receiver.id == "st":
            found.append(f"{path.name}:{node.lineno}: st.html")
            continue
        if any(k.arg == "unsafe_allow_html" for k in node.keywords):
            found.append(f"{path.name}:{node.lineno}: unsafe_allow_html")
            continue
        if node.func.attr not in RENDERS or (isinstance(receiver, ast.Name) and receiver.id in NOT_STREAMLIT):
            continue
        scope = owner[node]
        bound = {**module_bound, **bound_by_scope[scope]} if scope is not tree else module_bound
        for arg in _text_arguments(node):
            if not _is_safe(arg, bound):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.func.attr}({ast.unparse(arg)[:80]})")
    return found


def test_every_page_renders_data_and_user_text_only_through_the_escaping_helpers():
    found = [line for script in SCRIPTS if script != TEXT_MODULE for line in unsafe_render_calls(script)]
    assert not found, "format text for Streamlit with md()/plain() from pages/_ui/text.py:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "st.error(f'No case {case!r}.')",
        "st.error('No case {}.'.format(case))",
        "st.error('No case %s.' % case)",
        "st.error('No case ' + case)",
        "st.caption(case)",
        "left.metric(f'Cost of {name}', 3)",
        "st.page_link('pages/1_Explore.py', label=f'Open {case}')",
        "st.tabs([f'{v}' for v in versions])",
        "st.markdown(md('x'), unsafe_allow_html=True)",
        "def f(case):\n    st.warning(case)",
        "for case in cases:\n    st.expander(case)",
        "st.checkbox('ok', help=case)",
        "TABLE = {1: f'{pos} → {neg}'}\nst.metric(TABLE[1], 3)",
    ],
)
def test_the_guard_refuses_text_formatted_outside_the_helpers(tmp_path, source):
    script = ROOT / "pages" / "_guard_probe.py"
    try:
        script.write_text(source + "\n")
        assert unsafe_render_calls(script)
    finally:
        script.unlink(missing_ok=True)


@pytest.mark.parametrize(
    "source",
    [
        "st.error(md('No case {!r}.', case))",
        "st.caption(plain(case))",
        "st.caption('constant' if x else md('**{}**', y))",
        "text = md('a {}', b)\nst.info(text)",
        "st.tabs([plain(v) for v in versions])",
        "log.error(f'anything {x}')",
        "st.markdown(ORIENTATION)",
    ],
)
def test_the_guard_allows_constants_and_the_helpers(source):
    script = ROOT / "pages" / "_guard_probe_ok.py"
    try:
        script.write_text(source + "\n")
        assert unsafe_render_calls(script) == []
    finally:
        script.unlink(missing_ok=True)


def test_md_escapes_values_and_keeps_the_template():
    hostile = "[Session expired](https://evil.example) ![x](https://e/p.png) <img src=x> **b** :red[x] $x^2$"
    made = md("**Case** {} at {:.1%}", hostile, 0.25)
    assert made.startswith("**Case** \\[Session expired\\](https\\:\u200b//")
    assert made.endswith(" at 25.0%")
    for char in "[]<:*$":  # what would start a link, an image, HTML, a directive, emphasis, math: all escaped
        assert re.search(r"(?<!\\)" + re.escape(char), made.replace("**Case**", "")) is None, char
    assert md("{}", made) == made and plain(made) == made and escape_markdown(made) == made  # never twice
    assert isinstance(made, Markdown) and isinstance(plain("x"), Markdown)
    assert md("{!r}", "a_b") == "'a\\_b'"
    assert join(", ", ["a*", md("**b**")]) == "a\\*, **b**"
    assert plain("a\u202eb") == "a\\[U+202E\\]b"
    assert plain("Mara (demo), 2026-11-01: ok.") == "Mara (demo), 2026-11-01: ok."  # text stays readable
    assert plain("1. a\n- b\n# c\n===\n+ d") == "1\\. a\n\\- b\n\\# c\n\\===\n\\+ d"  # no block starts
    zw = "\u200b"  # remark-gfm finds autolinks in the text once escapes are resolved: a zero-width space breaks them
    assert (
        plain("www.evil.example a@evil.example https://e")
        == f"www{zw}.evil.example a\\@{zw}evil.example https\\:{zw}//e"
    )
