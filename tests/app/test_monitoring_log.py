"""AppTest of Monitoring on a team's own decision log (pages/10_Monitoring.py, "Your decision log"):
the numbers shown are those of the domain on the same log, and a bad source is a clear message."""

import numpy as np

from demo_models.monitoring.log_performance import log_performance
from demo_models.monitoring.sources import Source, save_source
from tests.app.apptest import open_app
from tests.unit.monitoring.conftest import LOG_MAPPING, make_log

MONITORING = "pages/10_Monitoring.py"


def _connect(tmp_path, use_case="credit") -> Source:
    frame = make_log()
    folder = tmp_path / "decision-log"
    frame.assign(day=frame["ts"].dt.strftime("%Y-%m")).to_parquet(folder, partition_cols=["day"])
    source = Source("parquet", str(folder), LOG_MAPPING)
    save_source(use_case, source)
    return source


def _performance_table(at):
    return next(df.value for df in at.dataframe if "decisions" in df.value.columns)


def test_connected_log_shows_drift_and_measured_and_estimated_performance(app_env, tmp_path):
    source = _connect(tmp_path)
    at = open_app(MONITORING, iteration="v2")
    assert not at.exception
    assert [h.value for h in at.header][0] == "Your decision log"
    assert any("6,000 decisions over 8 months" in m.value for m in at.markdown)
    shown = _performance_table(at)
    threshold = float(next(m.value for m in at.markdown if "at the threshold" in m.value).split("threshold ")[1][:5])
    expected = log_performance(source, threshold).realised
    recall = shown.filter(like="measured").iloc[:, 0]
    assert recall.iloc[0].startswith(f"{expected['recall'].iloc[0]:.1%}")
    assert recall.iloc[-1] == "—"  # no label is in yet for the last month: undefined, not 0
    assert shown.filter(like="estimated").iloc[-1, 0] != "—"  # ... but it is estimated
    assert np.isclose(expected["labelled"].iloc[-1], 0)


def test_a_source_that_cannot_be_read_is_a_message(app_env, tmp_path):
    save_source("credit", Source("parquet", str(tmp_path / "nowhere"), LOG_MAPPING))
    at = open_app(MONITORING)
    assert not at.exception
    assert any("does not exist" in e.value for e in at.error)
    assert "Your decision log" in [h.value for h in at.header]


def test_without_a_source_the_page_says_how_to_connect_one(app_env):
    at = open_app(MONITORING)
    assert not at.exception
    assert any("involve monitor connect" in c.value for c in at.caption)


def test_alerts_are_posted_once_and_shown_on_the_notices_page(app_env, tmp_path):
    from feedback.store.announcements import list_announcements
    from feedback.store.database import FeedbackStore

    _connect(tmp_path)
    at = open_app(MONITORING)
    assert not at.exception
    warning = next(w.value for w in at.warning if "alert" in w.value)
    at.run()
    at.switch_page(MONITORING).run()
    posted = [
        n for n in list_announcements(FeedbackStore(f"sqlite:///{app_env}"), "credit") if n.source == "monitoring"
    ]
    assert posted and len({n.title for n in posted}) == len(posted)  # once each, after three views
    assert f"**{len(posted)} alert(s)**" in warning
    at.switch_page("pages/11_Notices.py").run()
    assert not at.exception
    assert any(posted[0].title in list(df.value.get("Title", [])) for df in at.dataframe)


def test_what_drives_the_scores_by_month_on_the_fraud_log(app_env, registry_dir):
    from demo_models.iterations.registry import load_iteration
    from demo_models.iterations.scoring import ScoredIteration
    from demo_models.monitoring.log_importance import importance_by_month
    from demo_models.monitoring.sources import load_source
    from pages._ui.loaders import _builtin_fraud_log

    _builtin_fraud_log.clear()  # written again in this test's data folder
    at = open_app(MONITORING, use_case="fraud", iteration="v1")
    assert not at.exception
    assert any(m.value == "**What drives v1's scores, by month** (mean |SHAP|)" for m in at.markdown)
    caption = next(c.value for c in at.caption if "explained by this iteration" in c.value)
    v1 = ScoredIteration(load_iteration("fraud", "v1", registry_dir))
    expected = importance_by_month(load_source("fraud"), v1, [f"2025-{m:02d}" for m in range(1, 13)])
    assert f"{int(expected.explained.sum()):,} of {int(expected.decisions.sum()):,} decisions" in caption
    assert "seed 17" in caption and "at most 500 a month" in caption


def test_a_log_without_the_iterations_inputs_says_so_for_the_explanations(app_env, tmp_path):
    _connect(tmp_path)  # the credit iterations' inputs are not in this log
    at = open_app(MONITORING, iteration="v2")
    assert not at.exception
    warning = next(w.value for w in at.warning if "No explanation by month" in w.value)
    assert "The log has no column for v2's input(s)" in warning
