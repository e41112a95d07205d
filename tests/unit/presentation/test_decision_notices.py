"""Decision notices (demo_models/presentation/notices.py, notice_render.py): reasons, statements, sandbox, PDF."""

import dataclasses
import io
from datetime import date

import pytest
from pypdf import PdfReader

from demo_models.explanations.reasons import MAX_REASONS
from demo_models.explanations.whatif import edited_row, find_counterfactual
from demo_models.iterations.registry import load_iteration
from demo_models.iterations.scoring import ScoredIteration
from demo_models.presentation import notice_render
from demo_models.presentation.notice_render import (
    prepare_notice_downloads,
    render_notice_pdf,
    render_notice_text,
)
from demo_models.presentation.notices import (
    DEFAULT_STATEMENTS,
    NoticeError,
    build_notice,
    decline_reasons,
    describe_change,
    notice_reasons,
    statements_for,
)
from tests.helpers import BUILTIN_VERSIONS, register_approvals

ISSUED = date(2026, 12, 2)


def _pdf_text(pdf: bytes) -> str:
    return " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(pdf)).pages)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _declined(scored: ScoredIteration) -> list[str]:
    decisions = scored.decisions()
    return list(decisions[decisions == scored.use_case.unfavourable_decision].index)


@pytest.fixture(scope="module")
def fraud(registry_dir) -> ScoredIteration:
    return ScoredIteration(load_iteration("fraud", "v2", registry_dir))


@pytest.fixture(scope="module")
def loans(tmp_path_factory) -> ScoredIteration:
    """A brought use case whose positive class (approved) is the favourable decision: no statement table."""
    root = tmp_path_factory.mktemp("loans-registry")
    register_approvals(root)
    return ScoredIteration(load_iteration("loans", "v1", root))


@pytest.mark.parametrize("version", BUILTIN_VERSIONS)
def test_credit_reasons_are_the_reason_codes_in_order_each_with_its_statement(scored, version):
    it = scored[version]
    declined = _declined(it)
    assert len(declined) > 20
    protected = set(it.card.protected_attributes)
    for case_id in declined:
        explanation = it.explain_case(case_id)
        reasons = notice_reasons(it, explanation)
        assert [r.feature for r in reasons] == [r.feature for r in explanation.reasons][:MAX_REASONS]
        assert len(reasons) <= MAX_REASONS and not protected & {r.feature for r in reasons}
        assert all(r.contribution > 0 for r in reasons)
        assert all(r.statement for r in reasons), (case_id, [(r.feature, r.level) for r in reasons if not r.statement])


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_fraud_reasons_are_the_reason_codes_never_the_age_band(registry_dir, version):
    fraud = ScoredIteration(load_iteration("fraud", version, registry_dir))
    declined = _declined(fraud)
    assert fraud.use_case.unfavourable_decision == "flag" and len(declined) > 100
    for case_id in declined:
        explanation = fraud.explain_case(case_id)
        reasons = notice_reasons(fraud, explanation)
        assert [r.feature for r in reasons] == [r.feature for r in explanation.reasons]
        assert "customer_age_band" not in {r.feature for r in reasons}
        assert all(r.statement for r in reasons)


def test_a_statement_follows_the_input_and_its_level_against_the_median(scored):
    it = scored["v3"]
    median = it.features["duration"].median()
    for case_id in _declined(it):
        explanation = it.explain_case(case_id)
        for reason in notice_reasons(it, explanation):
            if reason.feature == "duration":
                long = explanation.values["duration"] > median
                expected = "Duration of the requested credit is " + ("long" if long else "short")
                assert (reason.level, reason.statement) == ("high" if long else "low", expected)
            if reason.feature == "checking_account":
                key = ("checking_account", str(explanation.values["checking_account"]))
                assert reason.statement == DEFAULT_STATEMENTS["credit"][key]


def test_a_reason_without_statement_is_reported_and_never_printed_raw(scored):
    it = scored["v3"]
    case_id = _declined(it)[0]
    explanation = it.explain_case(case_id)
    full = build_notice(it, explanation, ISSUED)
    partial = {k: v for k, v in DEFAULT_STATEMENTS["credit"].items() if k[0] != full.reasons[0].feature}
    notice = build_notice(it, explanation, ISSUED, statements=partial)
    assert [r.feature for r in notice.missing] == [full.reasons[0].feature]
    assert notice.statements == full.statements[1:]
    text = render_notice_text(notice)
    assert "1 further principal reason is awaiting a standard statement" in text
    reasons_part = text.split("What would change")[0]  # the change may name the value, as a change
    assert explanation.reasons[0].text not in text and explanation.reasons[0].value not in reasons_part
    empty = build_notice(it, explanation, ISSUED, statements={})
    assert not empty.reasons and len(empty.missing) == len(full.reasons)
    assert f"{len(full.reasons)} further principal reasons are awaiting" in render_notice_text(empty)
    downloads = prepare_notice_downloads(it, explanation)
    assert downloads is not None and downloads.missing == ()


def test_a_brought_use_case_has_no_statements_and_its_reasons_push_away_from_the_favourable_class(loans):
    assert statements_for("loans") == {}
    declined = _declined(loans)
    assert loans.use_case.unfavourable_decision == loans.use_case.negative_decision and declined
    for case_id in declined[:20]:
        explanation = loans.explain_case(case_id)
        expected = [(f, c) for f, c in explanation.contributions.items() if c < 0 and f != "region"]
        expected = sorted(expected, key=lambda item: item[1])[:MAX_REASONS]  # brute force: most negative first
        assert [(r.feature, r.contribution) for r in decline_reasons(loans, explanation)] == expected
        notice = build_notice(loans, explanation, ISSUED)
        assert not notice.reasons and [r.feature for r in notice.missing] == [f for f, _ in expected]
        assert notice.what_would_change is None  # the use case names no actionable input
    downloads = prepare_notice_downloads(loans, loans.explain_case(declined[0]))
    assert downloads is not None and downloads.missing


def test_a_case_given_the_favourable_decision_gets_no_notice(scored, fraud):
    for it in (scored["v3"], fraud):
        decisions = it.decisions()
        case_id = decisions[decisions == it.use_case.favourable_decision].index[0]
        explanation = it.explain_case(case_id)
        with pytest.raises(NoticeError, match="only for a (decline|flag) decision"):
            build_notice(it, explanation)
        assert prepare_notice_downloads(it, explanation) is None


def test_the_reference_is_deterministic_and_unique_to_case_and_explanation(scored):
    it = scored["v3"]
    first, second = _declined(it)[:2]
    explanation = it.explain_case(first)
    notice = build_notice(it, explanation, ISSUED)
    assert notice.reference == build_notice(it, it.explain_case(first), date(2030, 1, 1)).reference
    assert notice.reference != build_notice(it, it.explain_case(second), ISSUED).reference
    both = next(c for c in _declined(it) if c in set(_declined(scored["v2"])))
    same_case = [build_notice(s, s.explain_case(both), ISSUED).reference for s in (it, scored["v2"])]
    assert same_case[0] != same_case[1]  # another iteration's explanation of the same case
    row = it.features.loc[[first]]
    edited = it.explain_raw(edited_row(row, {"credit_amount": int(row.iloc[0]["credit_amount"]) + 100}))
    assert edited.decision == "decline" and edited.case_id == first
    assert build_notice(it, edited, ISSUED).reference != notice.reference  # same case, another explanation
    references = {build_notice(it, it.explain_case(c), ISSUED).reference for c in _declined(it)[:30]}
    assert len(references) == 30


def test_what_would_change_is_the_counterfactual_on_actionable_inputs_only(scored, fraud):
    it = scored["v3"]
    found = 0
    for case_id in _declined(it)[:15]:
        notice = build_notice(it, it.explain_case(case_id), ISSUED)
        counterfactual = find_counterfactual(it, it.features.loc[[case_id]])
        if counterfactual is None:
            assert notice.what_would_change is None
            continue
        found += 1
        assert set(counterfactual.changes) <= set(it.use_case.actionable)
        assert notice.what_would_change == describe_change(it, counterfactual)
        changed = edited_row(it.features.loc[[case_id]], {c: new for c, (_, new) in counterfactual.changes.items()})
        assert it.score_of(changed) < it.threshold  # the change given does flip the decision
        assert notice.what_would_change.endswith("the applicant would have been approved.")
        assert "Sex" not in notice.what_would_change and "Age" not in notice.what_would_change
    assert found > 0
    flagged = build_notice(fraud, fraud.explain_case(_declined(fraud)[0]), ISSUED)
    assert flagged.what_would_change is None  # fraud names no actionable input


def test_pdf_text_holds_the_reference_the_statements_and_the_change(scored, fraud):
    for it in (scored["v3"], fraud):
        notice = build_notice(it, it.explain_case(_declined(it)[0]), ISSUED)
        pdf = render_notice_pdf(notice)
        assert pdf.startswith(b"%PDF") and b"/FontFile2" not in pdf  # Latin-1 text: the core font, nothing embedded
        extracted = _flat(_pdf_text(pdf))
        assert notice.reference in extracted and "2026-12-02" in extracted
        for statement in notice.statements:
            assert statement in extracted
        if notice.what_would_change:
            assert _flat(notice.what_would_change) in extracted
        assert _flat(render_notice_text(notice)) == extracted


HOSTILE_TEMPLATES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ reasons.__class__.__base__.__subclasses__() }}",
    "{% import 'os' as os %}{{ os.system('true') }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ 'x' * 100000000 }}",
    "{{ 9 ** 9 ** 9 }}",
    "{{ no_such_field }}",
    "{% for %}",
]


@pytest.mark.parametrize("template", HOSTILE_TEMPLATES)
def test_a_hostile_template_is_refused_by_the_sandbox(scored, template):
    it = scored["v3"]
    notice = build_notice(it, it.explain_case(_declined(it)[0]), ISSUED)
    with pytest.raises(NoticeError, match="The notice template was refused"):
        render_notice_text(notice, template)
    with pytest.raises(NoticeError):
        render_notice_pdf(notice, template)


def test_markup_in_a_template_stays_inert_text(scored):
    it = scored["v3"]
    notice = build_notice(it, it.explain_case(_declined(it)[0]), ISSUED)
    text = render_notice_text(notice, "<script>alert(1)</script> {{ reference }}")
    assert text == f"<script>alert(1)</script> {notice.reference}\n\nTemplate v0\n"


HOSTILE = "<script>alert(1)</script> {{ 7*7 }} {% raw %} \x00\x1b[31m \u202eevil 信用 🙂 Ωμέγα " + "x" * 300


def test_hostile_text_in_the_data_is_printed_as_data_and_the_pdf_never_crashes(scored, monkeypatch):
    it = scored["v3"]
    notice = build_notice(it, it.explain_case(_declined(it)[0]), ISSUED)
    reasons = tuple(dataclasses.replace(r, statement=HOSTILE) for r in notice.reasons)
    hostile = dataclasses.replace(
        notice, case_id=HOSTILE, use_case_title=HOSTILE, version="v3\n\nDecision: approved", reasons=reasons
    )
    text = render_notice_text(hostile)
    assert "{{ 7*7 }}" in text and "49" not in text and "{% raw %}" in text
    pdf = render_notice_pdf(hostile)
    assert b"/FontFile2" in pdf  # Unicode text: DejaVu Sans embedded
    extracted = _flat(_pdf_text(pdf))
    assert "<script>alert(1)</script>" in extracted and "{{ 7*7 }}" in extracted and hostile.reference in extracted
    assert "\x00" not in extracted and "\u202e" not in extracted
    assert "Ωμέγα" in extracted
    monkeypatch.setattr(notice_render, "_find_font", lambda: notice_render._CORE)
    fallback = _flat(_pdf_text(render_notice_pdf(hostile)))  # no Unicode font: Latin-1 with "?" for the rest
    assert hostile.reference in fallback and "<script>alert(1)</script>" in fallback


def test_an_edited_case_with_a_missing_number_gets_its_notice(scored):
    it = scored["v3"]
    case_id = it.scores.idxmax()
    edited = it.explain_raw(edited_row(it.features.loc[[case_id]], {"duration": None}))
    assert edited.decision == "decline"  # the highest score stays above the threshold without its duration
    notice = build_notice(it, edited, ISSUED)
    assert notice.case_id == case_id and notice.reference != build_notice(it, it.explain_case(case_id)).reference
    assert all(r.level != "missing" for r in notice.reasons)  # no standard statement for a missing value


@pytest.mark.skipif(not notice_render._FALLBACK.is_file(), reason="the CJK fallback font is installed by .ci/run")
def test_chinese_japanese_and_korean_text_is_printed_from_the_fallback_font(scored):
    it = scored["v3"]
    notice = build_notice(it, it.explain_case(_declined(it)[0]), ISSUED)
    names = "王小明 たなか 김민준"
    extracted = _flat(_pdf_text(render_notice_pdf(dataclasses.replace(notice, use_case_title=f"信用 {names}"))))
    assert f"信用 {names}" in extracted  # every glyph drawn, none dropped as missing
    latin = render_notice_pdf(dataclasses.replace(notice, use_case_title="Crédit Ωμέγα"))
    assert b"WenQuanYi" not in latin and b"/FontFile2" in latin  # the fallback is read only when text needs it
