"""AppTest: an error cohort on Outcomes opens in Explore as a filter (pages/7_Outcomes.py -> pages/1_Explore.py)."""

import json
from urllib.parse import parse_qs

from demo_models.metrics.errors import find_error_cohorts, rule_to_text, select_rule
from tests.app.apptest import open_app


def test_outcomes_links_each_cohort_to_explore(app_env, scored):
    at = open_app("pages/7_Outcomes.py", iteration="v3")
    assert not at.exception
    link = next(p for p in at.get("page_link") if p.proto.label == "Open in Explore")
    worst = find_error_cohorts(scored["v3"], "errors", threshold=scored["v3"].threshold).cohorts[0]
    assert at.selectbox(key="cohort_pick").value == 0
    assert link.proto.page == "Explore"
    query = parse_qs(link.proto.query_string)
    assert query["iteration"] == ["v3"] and query["use_case"] == ["credit"]
    assert json.loads(query["cohort"][0]) == json.loads(rule_to_text(worst.rule))


def test_explore_shows_only_the_cohorts_cases_and_can_show_all_again(app_env, scored):
    it = scored["v3"]
    worst = find_error_cohorts(it, "errors").cohorts[0]
    at = open_app("pages/1_Explore.py", iteration="v3", cohort=rule_to_text(worst.rule))
    assert not at.exception
    shown = at.dataframe(key="cases").value
    assert set(shown.index) == set(select_rule(it.features, worst.rule)) and len(shown) < len(it.features)
    assert any(worst.description.split(";")[0] in i.value for i in at.info)
    at.button(key="clear_cohort").click().run()
    assert len(at.dataframe(key="cases").value) == len(it.features)


def test_a_tampered_cohort_link_is_a_message(app_env):
    at = open_app("pages/1_Explore.py", cohort='[["salary", ">", 1, false]]')
    assert not at.exception
    assert any("names no input" in e.value for e in at.error)
    assert len(at.dataframe(key="cases").value) == 300
