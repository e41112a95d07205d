"""Documents: the decision notice template (edited with a live preview, every version kept), the reason statements
(every version kept), batches of notices, decision records, and the audit log of every document generated."""

import streamlit as st

from demo_models.presentation.notice_documents import (
    current_wording,
    documents_table,
    preview_template,
    sample_notice,
    save_notice_template,
    versions_table,
)
from demo_models.vocabulary import get_use_case
from feedback.access import PERMISSIONS, AccessError
from feedback.notice_templates import EDIT_TEMPLATES, TemplateError
from feedback.store.database import StoreError
from feedback.store.documents import list_documents
from feedback.store.notice_templates import template_history
from pages._ui.context import setup_page
from pages._ui.document_sections import render_batch, render_records, render_statements
from pages._ui.flash import confirm_and_rerun, show_confirmation
from pages._ui.loaders import load_scored
from pages._ui.store_guard import require_store
from pages._ui.text import md

ctx = setup_page("Documents")
use_case, actor = ctx.use_case, ctx.identity.actor
st.title("Documents")
st.caption(
    "The wording of the decision notices a declined applicant receives, and a record of every document "
    "generated: who, when, which case(s), iteration and template version."
)
store = require_store(ctx, "Documents are")
show_confirmation()

# --- the decision notice template -----------------------------------------------------------------
st.header("Decision notice template")
wording = current_wording(store, use_case.name)
history = template_history(store, use_case.name)
st.caption(
    md(
        "In force for {}: template v{}. Notices print their version at the end; the template is rendered in a "
        "sandbox, so it can neither run code nor inject markup, and the case's data is always printed as data.",
        use_case.title,
        wording.version,
    )
)
scored = load_scored(ctx)
sample = sample_notice(scored, wording.statements)
if sample is None:
    st.info(
        md(
            "Iteration {} gives no evaluation case a {} decision: no sample notice to preview.",
            ctx.card.version,
            use_case.unfavourable_decision,
        )
    )
else:
    if st.session_state.get("tpl_for") != (use_case.name, wording.version):  # a fresh editor on the version in force
        st.session_state["tpl_text"], st.session_state["tpl_for"] = wording.text, (use_case.name, wording.version)
    edit, shown = st.columns(2)
    text = edit.text_area("Template (Jinja2)", height=420, key="tpl_text")
    changed = text.strip() != wording.text.strip()
    version = wording.version + 1 if changed else wording.version
    preview = preview_template(sample, text, version, wording.statements_version)
    shown.markdown(md("**Preview** on {} {} (declined by {})", use_case.words.case, sample.case_id, sample.version))
    if preview.error:
        shown.error(md("{}", preview.error))
    else:
        shown.code(preview.text, language=None, wrap_lines=True)
    comment = edit.text_input("Why this change (kept with the version)", key="tpl_comment")
    allowed = actor.role in PERMISSIONS[EDIT_TEMPLATES]
    if not allowed:
        edit.caption(md("Templates are saved by: {}.", ", ".join(PERMISSIONS[EDIT_TEMPLATES])))
    if edit.button(
        md("Save as template v{}", wording.version + 1), disabled=not allowed or not changed, key="tpl_save"
    ):
        try:
            saved = save_notice_template(store, sample, text, comment, actor)
        except (AccessError, TemplateError, StoreError) as err:
            edit.error(md("Not saved: {}", err))
        else:
            st.session_state.pop("tpl_comment", None)
            confirm_and_rerun(md("Saved template v{}: the next notice uses it.", saved.version))

st.subheader("Versions")
versions = versions_table(history)
st.dataframe(versions, hide_index=True)
shown_version = st.selectbox("Show the text of", versions["Version"].tolist(), key="tpl_show")
old = next((t.text for t in history if f"v{t.version}" == shown_version), None)
st.code(old if old is not None else current_wording(None, use_case.name).text, language=None, wrap_lines=True)

render_statements(store, scored, wording, actor)
render_batch(ctx, store, scored, actor)
render_records(store, scored, wording, actor)

# --- the audit log ------------------------------------------------------------------------------------
st.header("Generated documents")
everything = list_documents(store)
use_cases = sorted({d.use_case for d in everything} | {use_case.name})
EVERY = "every use case"
choice = st.selectbox(
    "Use case",
    [EVERY, *use_cases],
    index=1 + use_cases.index(use_case.name),
    format_func=lambda name: name if name == EVERY else get_use_case(name).title,
    key="docs_use_case",
)
records = everything if choice == EVERY else list_documents(store, choice)  # its own 500 newest
if not records:
    st.caption(
        "No document generated yet: each notice, batch, dossier and decision record downloaded is recorded here."
    )
else:
    st.dataframe(documents_table(records), hide_index=True)
