"""A case in a review round: its inputs alone (blind), then what the model decided and why (the reveal)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from demo_models.formats import format_share
from demo_models.iterations.scoring import CaseExplanation
from demo_models.vocabulary import UseCase, capitalise
from pages._ui.charts import render_case_waterfall
from pages._ui.text import join, md


def render_case_inputs(use_case: UseCase, values: pd.Series) -> None:
    """The case's inputs as Explore shows them, without any score, decision or outcome."""
    st.dataframe(
        pd.DataFrame(
            {
                "Input": [use_case.label(c) for c in values.index],
                "Value": [use_case.describe_value(c, v) for c, v in values.items()],
            }
        ),
        hide_index=True,
    )


def reasons_heading(explanation: CaseExplanation, use_case: UseCase) -> tuple[str, ...]:
    """The heading above a case's reason codes: reasons for the negative-for-the-case decision when the model
    took it, else what raised the risk most (the same reasons, for a case the model decided the other way)."""
    words = use_case.words
    if explanation.decision == use_case.positive_decision:
        return ("Principal reasons for “{}”", words.positive_decision)  # for md()
    return ("{} — what raised the {} most", capitalise(words.past(explanation.decision)), words.risk)


def render_reveal(explanation: CaseExplanation, use_case: UseCase, key: str) -> None:
    """The model's score, decision, threshold, SHAP waterfall and reasons for the case (as on Explore)."""
    words = use_case.words
    m1, m2, m3 = st.columns(3)
    m1.metric(md("Probability of {}", words.outcome), format_share(explanation.score))
    m2.metric("Decision", explanation.decision.capitalize())
    m3.metric("Threshold", format_share(explanation.threshold, 0))
    left, right = st.columns([3, 2])
    render_case_waterfall(explanation, use_case, key, left)
    with right:
        st.subheader(md(*reasons_heading(explanation, use_case)))  # as on Explore
        if explanation.reasons:
            st.markdown(join("\n", (md("{}. {}", i, r.text) for i, r in enumerate(explanation.reasons, 1))))
        else:
            st.write(md("No input pushed this {} towards {}.", words.case, words.outcome))
        for driver in explanation.protected_drivers:
            st.warning(
                md("Fairness warning: the protected attribute **{}** is among the top drivers.", driver.text),
                icon="⚠️",
            )
    st.caption(
        md(
            "Each bar is one input's SHAP contribution in {}: red pushes towards {}, green away from it.",
            explanation.scale,
            words.outcome,
        )
    )
