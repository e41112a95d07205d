"""Guide: an orientation to the pages and the feedback loop, and a glossary of every number the app shows."""

import streamlit as st

from demo_models.presentation.glossary import search_terms
from demo_models.presentation.report_inputs import costs_for
from demo_models.presentation.worked_examples import worked_examples
from pages._ui.context import setup_page
from pages._ui.guide import ORIENTATION
from pages._ui.loaders import load_scored
from pages._ui.scorecard import current_costs
from pages._ui.text import md, plain

COST_TERMS = ("cost_fp", "cost_fn", "expected_cost", "cost_optimal_threshold")

ctx = setup_page("Guide")
use_case, card = ctx.use_case, ctx.card
st.title("Guide")
st.header("How Involve works")
st.markdown(ORIENTATION)

st.header("Glossary")
st.caption(
    md(
        "Every number the app shows, in the words of {}. The worked examples use {} on its {:,} evaluation cases at "
        "its threshold ({:.1%}); pick another iteration in the sidebar.",
        use_case.title.lower(),
        card.version,
        card.n_eval,
        card.threshold,
    )
)
query = st.text_input("Search the glossary", key="glossary_search", placeholder="e.g. precision, approve rate, drift")
terms = search_terms(query, use_case)
if not terms:
    st.info(md("No term matches {!r}. Try a shorter word.", query))
    st.stop()

scored = load_scored(ctx)
matrix = current_costs(ctx)
costs, why_no_costs = costs_for(scored, matrix)
costs_key = (
    None
    if matrix is None
    else (
        matrix.id,
        matrix.false_positive_cost,
        matrix.false_negative_cost,
        matrix.false_negative_column,
        matrix.false_negative_fraction,
        matrix.currency,
    )
)


@st.cache_data(show_spinner="Working out the examples on your data…", max_entries=64)
def _examples(
    use_case_name: str,
    version: str,
    created: str,
    threshold: float,
    keys: tuple[str, ...],
    costs_key: tuple | None,
    _terms,
    _scored,
    _costs,
) -> dict[str, str | None]:
    return worked_examples(_terms, _scored, _costs, costs_key[-1] if costs_key else "")


examples = _examples(
    use_case.name,
    card.version,
    card.created,
    card.threshold,
    tuple(t.key for t in terms),
    costs_key,
    terms,
    scored,
    costs,
)
open_all = bool(query.strip()) and len(terms) <= 3
for term in terms:
    with st.expander(plain(term.name), expanded=open_all):
        st.markdown(plain(term.meaning))
        st.markdown("**Formula**")
        st.code(term.formula, language=None, wrap_lines=True)
        st.markdown(md("**A good value:** {}", term.good))
        example = examples.get(term.key)
        if example:
            st.markdown(md("**Worked example:** {}", example))
        else:
            why = f"No worked example: {why_no_costs}. " if term.key in COST_TERMS and costs is None else ""
            st.caption(plain(why + (term.no_example or f"There is no worked example of it on {card.version}'s cases.")))
