"""What-if: change a case's inputs and see the score, the decision and the reasons move."""

import streamlit as st

from demo_models.explanations.whatif import (
    GRID_STEPS,
    describe_counterfactual,
    edited_row,
    find_changes,
    find_counterfactual,
    input_specs,
    is_missing,
)
from demo_models.formats import format_share
from demo_models.vocabulary import capitalise, with_article
from pages._ui.charts import render_case_waterfall
from pages._ui.context import setup_page
from pages._ui.feedback_form import render_feedback_form
from pages._ui.loaders import load_scored
from pages._ui.notice_downloads import render_notice_downloads
from pages._ui.text import md, plain

ctx = setup_page("What-if")
use_case, card = ctx.use_case, ctx.card
scored = load_scored(ctx)
st.title("What if…")
st.caption(
    md(
        "Start from one of the {}, change any input and see what {} would decide, and why, next to what it decides "
        "now.",
        use_case.words.cases,
        card.version,
    )
)

case_ids = list(scored.features.index)
remembered = st.session_state.get("case_id")
case_id = st.selectbox(
    md("{} to start from", capitalise(use_case.words.case)),
    case_ids,
    index=case_ids.index(remembered) if remembered in case_ids else 0,
    key="whatif_case",
)


@st.cache_resource(max_entries=16)
def _specs(use_case_name: str, version: str, created: str, _scored) -> dict:
    return {spec.column: spec for spec in input_specs(_scored)}


@st.cache_resource(max_entries=64)
def _case_as_it_is(use_case_name: str, version: str, created: str, case_id: str, _scored):
    """The case's one-row frame and that row as a Series, looked up once per case (read-only: never changed)."""
    original = _scored.features.loc[[case_id]]
    return original, original.iloc[0]


@st.cache_resource(max_entries=64)
def _counterfactual(state: tuple, _scored, _row):
    return find_counterfactual(_scored, _row)


MISSING_CHOICE = "(missing)"  # the selectbox option that stands for a missing value
MISSING_HELP = "Empty = missing: the model fills it in the way it was trained to. Clear the field to make it missing."


def _widget_value(spec, value):
    """A case's value as its widget holds it: numbers as Python numbers, missing as empty / the missing option."""
    if is_missing(value):
        return None if spec.numeric else MISSING_CHOICE
    value = value.item() if hasattr(value, "item") else value
    return (int(value) if spec.integer else float(value)) if spec.numeric else value


def _render_as_it_is(ctx, scored, before) -> None:
    """The case as it is — its score, its decision notice, its waterfall: drawn once per page run (no input
    changes it), outside the fragment that moving an input reruns."""
    st.header("As it is")
    st.metric(md("Probability of {}, now", ctx.use_case.words.outcome), format_share(before.score))
    render_notice_downloads(  # the case as it is: a notice is for a real decision
        scored, before, "whatif_notice", store=ctx.store, actor=ctx.identity.actor
    )
    render_case_waterfall(before, ctx.use_case, "whatif_before", title="As it is", lazy=True, narrow=True)


@st.fragment
def _render_what_if(ctx, scored, case_id: str) -> None:
    """The inputs, the score and reasons with the changes, the counterfactual and the feedback: a fragment, so
    moving an input reruns this part alone, not the sidebar, the pickers and the case as it is beside it."""
    use_case, card = ctx.use_case, ctx.card
    original, as_it_is = _case_as_it_is(use_case.name, card.version, card.created, case_id, scored)
    specs = _specs(use_case.name, card.version, card.created, scored)
    pending = st.session_state.pop("_whatif_pending", None)
    if pending:
        for column, value in pending.items():
            st.session_state[f"whatif_{case_id}_{column}"] = _widget_value(specs[column], value)
    left, right = st.columns([2, 3])
    values = {}
    with left:
        st.header("Inputs")
        if st.button("Back to the original inputs", key="whatif_reset"):
            for column in original.columns:
                st.session_state.pop(f"whatif_{case_id}_{column}", None)
        for column in original.columns:
            spec, value = specs[column], as_it_is[column]
            key = f"whatif_{case_id}_{column}"
            st.session_state.setdefault(key, _widget_value(spec, value))
            label = use_case.label(column) + (" (protected)" if column in card.protected_attributes else "")
            if spec.numeric:
                cast = int if spec.integer else float
                low, high = (
                    (spec.low, spec.high) if is_missing(value) else (min(spec.low, value), max(spec.high, value))
                )
                new = st.number_input(
                    plain(label),
                    min_value=cast(low),
                    max_value=cast(high),
                    step=cast(spec.step),
                    key=key,
                    value=None if spec.allows_missing else "min",
                    placeholder="missing" if spec.allows_missing else None,
                    help=MISSING_HELP if spec.allows_missing else None,
                )
            else:
                options = list(spec.options) if is_missing(value) or value in spec.options else [value, *spec.options]
                options += [MISSING_CHOICE] if spec.allows_missing else []
                new = st.selectbox(
                    plain(label),
                    options,
                    key=key,
                    format_func=lambda v, c=column: "missing" if v == MISSING_CHOICE else use_case.describe_value(c, v),
                )
                new = None if new == MISSING_CHOICE else new
            values[column] = new

    changes = find_changes(original, values)
    edited = edited_row(original, {c: new for c, (_, new) in changes.items()})
    before = scored.explain_case(case_id)  # as Explore shows it: stored at registration, nothing recomputed
    after = scored.explain_raw(edited) if changes else before
    with right:
        st.header("With your changes")
        metrics = st.container(horizontal=True)  # one block, where two columns would be three
        moved = round((after.score - before.score) * 100, 1)
        metrics.metric(
            md("Probability of {}", use_case.words.outcome),
            format_share(after.score),
            delta=f"{moved:+.1f} points" if moved else "no change",
            delta_color="inverse" if moved else "off",
            delta_arrow="auto" if moved else "off",
        )
        flipped = after.decision != before.decision
        metrics.metric(
            "Decision",
            after.decision.capitalize(),
            delta=f"changed from {before.decision}" if flipped else "unchanged",
            delta_color="off",
            delta_arrow="off",
        )
        if changes:
            st.markdown(
                md(
                    "Changed: {}",
                    "; ".join(
                        f"{use_case.label(c)} {use_case.describe_value(c, a)} → {use_case.describe_value(c, b)}"
                        for c, (a, b) in changes.items()
                    ),
                )
            )
        render_case_waterfall(after, use_case, "whatif_after", title="With your changes", lazy=True, narrow=True)

    st.header("The smallest change that flips the decision")
    actionable = [use_case.label(c) for c in use_case.actionable]
    if not actionable:
        st.info(
            md(
                "No input of the {} use case is marked as one {} could change.",
                use_case.title.lower(),
                with_article(use_case.words.case),
            )
        )
    elif after.decision != use_case.positive_decision:
        st.write(
            md(
                "With these inputs the {} is {}: there is nothing to overturn.",
                use_case.words.case,
                use_case.words.past(after.decision),
            )
        )
    else:
        # the search flips the decision at the threshold in force: a changed threshold is another search
        state = (
            card.use_case,
            card.version,
            card.created,
            float(scored.threshold),
            case_id,
            tuple(map(str, edited.iloc[0])),
        )
        asked = st.session_state.get("_whatif_asked") == state
        if not asked and st.button("Suggest the smallest change that would overturn it", key="whatif_suggest"):
            st.session_state["_whatif_asked"], asked = state, True
        st.caption(
            md(
                "Searched over {} only (never protected attributes), on a grid of {} values per input across the range"
                " of the evaluation cases; smallest = least total change, counted in standard deviations of each"
                " input.",
                ", ".join(actionable),
                GRID_STEPS,
            )
        )
        counterfactual = _counterfactual(state, scored, edited) if asked else None
        if asked and counterfactual is None:
            st.write(md("No change on that grid flips the decision ({}).", after.decision))
        elif counterfactual is not None:
            st.success(plain(describe_counterfactual(scored, counterfactual)))
            st.button(
                "Try it",
                key="whatif_apply",
                on_click=lambda: st.session_state.update(
                    _whatif_pending={c: new for c, (_, new) in counterfactual.changes.items()}
                ),
            )

    st.header("Feedback on this what-if")
    render_feedback_form(ctx, after, after.reasons, what_if=changes or None)


changing, unchanged = st.columns([5, 3])  # the part moving an input reruns, and the case as it is beside it
with unchanged:
    _render_as_it_is(ctx, scored, scored.explain_case(case_id))
with changing:
    _render_what_if(ctx, scored, case_id)
