import re

import pytest
from sklearn.metrics import roc_auc_score

from demo_models.metrics.fairness import fairness_gaps
from demo_models.presentation.report_inputs import compose_report
from demo_models.service.cli import main
from feedback.goals import CostMatrix
from feedback.store.database import FeedbackStore
from feedback.store.goals import save_costs, save_criterion
from feedback.store.records import add_feedback
from tests.helpers import CRITERION_SPECS, HOSTILE, copy_registry_with_hostile_card, make_criterion, make_draft


@pytest.fixture
def report(registry_dir, sqlite_store):
    save_criterion(sqlite_store, make_criterion(target=0.5), ("sex", "age"), specs=CRITERION_SPECS)
    save_costs(sqlite_store, CostMatrix("credit", 300.0, 0.0, "Bo", "credit_amount", 0.5, "DM"))
    add_feedback(sqlite_store, make_draft(iteration="v2", expected_outcome="negative"), {"v2"})
    return compose_report(registry_dir, sqlite_store, "credit", "v3")


def test_the_report_is_self_contained_and_its_numbers_equal_the_apps(report, scored):
    assert report.startswith("<!doctype html>") and not re.search(
        r"<script[^>]+src=", report
    )  # nothing loaded from elsewhere
    assert report.count("plotly.js") >= 1 and report.count('class="plotly-graph-div"') == 11
    # importance, 3 waterfalls, heat map, pair, 2 dependence, reliability, 2 inputs by outcome
    labels = scored["v3"].iteration.labels
    assert f"<td>{roc_auc_score(labels, scored['v3'].scores):.3f}</td>" in report
    assert f"<td>{fairness_gaps(scored['v3'], 'sex')['dp_ratio']:.3f}</td>" in report
    old, new = scored["v2"].scores >= 0.4, scored["v3"].scores >= 0.4
    assert f"<b>{(~old & new).sum()}</b> approve → decline" in report
    assert "Recall &gt;= 0.5" in report and "pass · " in report
    assert re.search(r"Expected cost of errors per 1,000 cases: <b>[\d,]+ DM</b>", report)
    assert "Of 1 cases reviewers disagreed with" in report


def test_the_report_escapes_what_people_wrote(registry_dir, sqlite_store):
    add_feedback(sqlite_store, make_draft(iteration="v3", categories=("bug",)), {"v3"})
    save_criterion(
        sqlite_store, make_criterion(owner="<script>alert(1)</script>"), ("sex", "age"), specs=CRITERION_SPECS
    )
    document = compose_report(registry_dir, sqlite_store, "credit", "v3")
    assert "<script>alert(1)</script>" not in document and "&lt;script&gt;" in document


def test_the_report_from_the_command_line(registry_dir, tmp_path, capsys):
    out = tmp_path / "report.html"
    db = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert main(["report", "credit", "v2", "--out", str(out), "--registry", str(registry_dir), "--db", db]) == 0
    assert "Credit risk — iteration v2" in out.read_text()
    assert main(["report", "credit", "v9", "--out", str(out), "--registry", str(registry_dir), "--db", db]) == 1
    assert "No report: There is no iteration 'v9'" in capsys.readouterr().err


def test_the_report_escapes_hostile_text_everywhere(registry_dir, tmp_path):
    everything = "\n".join(HOSTILE)
    registry = copy_registry_with_hostile_card(registry_dir, tmp_path / "registry", everything, HOSTILE[0])
    store = FeedbackStore(f"sqlite:///{tmp_path / 's.sqlite3'}")
    save_criterion(store, make_criterion(owner=HOSTILE[2]), ("sex", "age"), specs=CRITERION_SPECS)
    add_feedback(store, make_draft(iteration="v3", comment=everything, reviewer_name=HOSTILE[2]), {"v3"})
    document = compose_report(registry, store, "credit", "v3")
    for raw in ("<img", "\\u003cimg", '<a href="https://evil', "\\u003ca href", '<a href=\\"https://evil'):
        assert raw not in document, raw
    assert document.count("&lt;img src=x onerror=alert(1)&gt;") >= 2  # the notes and the owner, shown as written
    assert "[Session expired – log in again](https://evil.example)" in document  # markdown is text in HTML


def test_the_report_shows_each_metric_under_its_catalogue_label(report):
    import html

    from demo_models.metrics.catalogue import labels_of
    from demo_models.vocabulary import CREDIT

    for family in ("performance", "fairness"):
        for label in labels_of(family, CREDIT).values():
            assert f"<th>{html.escape(label)}</th>" in report, label
