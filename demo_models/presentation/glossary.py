"""A glossary of every number the app shows: what it means, its formula, what a good value looks like,
and the words each page uses for it (worked examples: `demo_models.presentation.worked_examples`).

Texts are written once with the use case's words as placeholders ({pos} "decline", {neg} "approve",
{pos_past}, {neg_past}, {outcome} "default", {good} "repay", {case} "applicant", {cases} "applicants",
{pos_cases} "defaulters", {pos_decisions} "declines": see `Vocabulary`), so that the glossary
speaks the wording of each page; `phrase_term` fills them in and `find_term` matches a page's label.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from demo_models.metrics.catalogue import FOUR_FIFTHS, get_metric
from demo_models.metrics.drift import BANDS
from demo_models.vocabulary import UseCase, with_article

log = logging.getLogger(__name__)

NO_COSTS = "Set what each error costs on the Outcomes page to see it worked out on your data."
NO_TIME = "It needs cases over time: shown for use cases whose data has a month, such as card fraud."
NO_GROUPS = "It needs a protected attribute with at least two groups in the evaluation data."
TWO_ITERATIONS = "It compares two iterations on the same cases: see the Compare page."
FROM_STORE = "It counts what people did in the app, not the evaluation data: see the Inbox and Monitoring pages."
FROM_ROUNDS = "It measures what reviewers answered in a closed review round: see Round results on the Reviews page."
TIMED = "It is measured by timing cases one by one: see Speed on the Outcomes page, and Monitoring."


@dataclass(frozen=True)
class Term:
    """One glossary entry; texts may hold the use case's words as placeholders (see `phrase_term`)."""

    key: str
    name: str
    aliases: tuple[str, ...]  # labels the pages show for it (exact, or followed by ":", " (", "," or " —")
    meaning: str
    formula: str
    good: str
    metric_key: str = ""  # the key of the metric it explains in `demo_models.metrics.catalogue`
    patterns: tuple[str, ...] = ()  # regular expressions for labels that embed a version
    no_example: str = ""  # why there may be no worked example on one iteration's evaluation cases


_T = Term
GLOSSARY: tuple[Term, ...] = (
    _T(
        "score",
        "Score (probability of {outcome})",
        ("score", "probability of {outcome}", "p({outcome})", "with your changes"),
        "The model's estimate, from 0% to 100%, that the {case}'s outcome will be “{outcome}”. On What-if, “with your "
        "changes” is the same score for the edited {case}.",
        "score = the model's probability of “{outcome}” for the {case}",
        "Not good or bad in itself: it should be high for {cases} whose outcome is “{outcome}” and low for the others "
        "(see ROC AUC).",
        patterns=(r"\S+ score",),
    ),
    _T(
        "threshold",
        "Threshold",
        ("threshold", "operating threshold"),
        "The cut-off on the score: {cases} at or above it get “{pos}”, those below get “{neg}”. Lowering it catches "
        "more {pos_cases} but also gives “{pos}” to more {cases} whose outcome would be “{good}”.",
        "decision = “{pos}” if score ≥ threshold, otherwise “{neg}”",
        "The one that fits the goals best: often the cost-optimal threshold, within the agreed rates and fairness "
        "criteria.",
    ),
    _T(
        "decision",
        "Decision",
        ("decision",),
        "What the score means for the {case}: “{pos}” or “{neg}”, a recommendation to the people who decide.",
        "“{pos}” if score ≥ threshold, otherwise “{neg}”",
        "Right when it matches what actually happened: “{pos}” for “{outcome}”, “{neg}” for “{good}”.",
    ),
    _T(
        "actual_outcome",
        "Actual outcome",
        ("actual outcome", "actually {outcome}", "actually {good}"),
        "What really happened to the {case}: “{outcome}” or “{good}”. It is known for the evaluation cases, and every "
        "metric compares the decisions with it.",
        "recorded in the evaluation data (the label)",
        "Not a model property: it is the truth the model is judged against.",
    ),
    _T(
        "base_rate",
        "Actual {outcome} rate",
        ("actual {outcome} rate", "actual positive rate", "base rate"),
        "The share of {cases} whose actual outcome was “{outcome}”: the background every other rate is read against "
        "(when “{outcome}” is rare, precision is naturally lower).",
        "actual “{outcome}” cases / all cases",
        "Not controlled by the model; a change over the months means the world changed (see Monitoring).",
    ),
    _T(
        "confusion",
        "Decisions against outcomes (confusion matrix)",
        (
            "decisions against outcomes",
            "confusion matrix",
            "{pos_past}",
            "{neg_past}",
            "false positives",
            "false negatives",
        ),
        "A count of the {cases} by decision and actual outcome. True positives (TP): “{outcome}” and {pos_past}; "
        "false positives (FP): “{good}” but {pos_past}; "
        "false negatives (FN, missed): “{outcome}” but {neg_past}; true negatives (TN): “{good}” and {neg_past}.",
        "TP + FP + FN + TN = all cases",
        "Many TP and TN, few FP and FN; which error matters more is a business choice (see the cost of errors).",
    ),
    _T(
        "recall",
        "Recall ({pos_cases} caught)",
        ("recall", "{pos_cases} caught", "true positive rate", "tpr", "share of {pos_cases} {pos_past}"),
        "Of the {cases} whose actual outcome was “{outcome}”, the share the model would {pos}. Also called the true "
        "positive rate (TPR); the Fairness page shows it per group.",
        "TP / (TP + FN)",
        "Closer to 100% is better. It rises as the threshold falls, at the price of more wrong “{pos}” decisions; the "
        "goals set the minimum.",
        metric_key="recall",
    ),
    _T(
        "precision",
        "Precision",
        ("precision", "precision of {pos_decisions}", "share of {pos_decisions} that were {pos_cases}"),
        "Of the {cases} the model would {pos}, the share whose actual outcome was “{outcome}”: how often a “{pos}” is "
        "right.",
        "TP / (TP + FP)",
        "Closer to 100% is better; it usually rises with the threshold while recall falls. Read it against the actual "
        "{outcome} rate.",
        metric_key="precision",
    ),
    _T(
        "positive_rate",
        "{Pos} rate",
        ("{pos} rate", "positive-decision rate", "positive rate"),
        "The share of all {cases} that get “{pos}”: the workload it creates or the business it turns away.",
        "(TP + FP) / all cases",
        "As agreed in the goals: a business volume, not a higher-is-better number.",
        metric_key="positive_rate",
    ),
    _T(
        "negative_rate",
        "{Neg} rate (favourable rate)",
        ("{neg} rate", "approval rate", "negative rate", "favourable rate"),
        "The share of all {cases} that get “{neg}”. The Fairness page shows the rate of the favourable decision, "
        "“{fav}”, per group.",
        "(TN + FN) / all cases = 1 − {pos} rate",
        "As agreed in the goals, and similar across groups (see the disparate impact ratio).",
        metric_key="negative_rate",
    ),
    _T(
        "accuracy",
        "Accuracy",
        ("accuracy",),
        "The share of all {cases} whose decision matches what actually happened.",
        "(TP + TN) / all cases",
        "Higher is better, but it flatters a model when “{outcome}” is rare: “{neg}” for everyone already scores 1 − "
        "the actual {outcome} rate. Prefer recall, precision and cost.",
        metric_key="accuracy",
    ),
    _T(
        "roc_auc",
        "ROC AUC",
        ("roc auc", "auc", "roc curve"),
        "How well the score ranks {cases}, whatever the threshold: the chance that a random “{outcome}” {case} scores "
        "higher than a random “{good}” one. The ROC curve on Outcomes draws the trade-off it summarises.",
        "share of (“{outcome}”, “{good}”) pairs that the score orders correctly; ties count half",
        "1.0 is perfect and 0.5 is chance; above 0.7 is useful and above 0.8 strong for this kind of data.",
        metric_key="roc_auc",
    ),
    _T(
        "brier",
        "Brier score",
        ("brier score", "brier"),
        "How close the score is to what happened, read as a probability of “{outcome}”: the average squared "
        "difference between each {case}'s score and its outcome (1 for “{outcome}”, 0 otherwise).",
        "mean of (score − outcome)² over all {cases}",
        "Lower is better; 0 is exact. Always guessing the actual {outcome} rate scores rate × (1 − rate), the "
        "baseline to beat.",
        metric_key="brier",
    ),
    _T(
        "ece",
        "Expected calibration error",
        ("expected calibration error", "ece", "calibration", "reliability curve", "observed rate"),
        "Whether “30 %” means 30 %: the {cases} are put in ten bins by score, and in each the share that turned out "
        "“{outcome}” is compared with the average score; the gaps are averaged, weighted by the bins' sizes. A score "
        "can rank {cases} well (high ROC AUC) and still be badly calibrated, and then a threshold chosen from the "
        "costs of errors, which reads the score as a probability, is chosen wrongly.",
        "Σ over bins of (cases in bin / all cases) × |observed rate − mean score|",
        "Lower is better; below 0.02 is well calibrated for this kind of data. The reliability curve on Outcomes "
        "shows each bin, with an interval on its observed rate.",
        metric_key="ece",
    ),
    _T(
        "error_cohort",
        "Error cohort",
        ("error cohort", "error rate", "errors", "where it is wrong"),
        "A group of {cases}, described by at most three conditions on the inputs, where the model's decisions are "
        "wrong more (or less) often than overall. A shallow decision tree fitted to “was the decision wrong” finds "
        "them, so each group is one readable rule; its error rate is the share of its {cases} decided wrongly.",
        "error rate = wrong decisions in the group / {cases} in the group (for missed “{outcome}”: over the group's "
        "“{outcome}” {cases}; for wrong “{pos}”: over its other {cases})",
        "A group far above the overall rate, with a narrow interval and many {cases}, is where the model needs work "
        "or where people should not rely on it; check whether reviewers distrust it there too.",
    ),
    _T(
        "wilson_interval",
        "Wilson interval",
        ("wilson interval", "interval low", "interval high"),
        "The range a rate (an error rate, an observed rate in a score bin) would plausibly take on another sample "
        "of {cases} like these: few {cases} give a wide range.",
        "the 95 % Wilson score interval of successes / trials (statsmodels' proportion_confint)",
        "Narrow enough that the groups you compare do not overlap; it stays inside 0–100 % even for small groups.",
    ),
    _T(
        "cohort_change",
        "Cohort change between iterations",
        ("rate before", "rate after", "rate change", "errors before", "errors after", "fixed", "new errors"),
        "An error cohort of either iteration, counted under both on the {cases} both were shown: its errors and "
        "error rate before and after, the errors the newer iteration fixed there and the new errors it made. An "
        "exact McNemar test on those paired {cases} says whether the change could be chance.",
        "rate change = rate after − rate before; p-value = exact McNemar test of fixed against new errors",
        "Negative changes with a small p-value: the newer iteration is better there; a positive one is a regression.",
        no_example="It compares two iterations: see “Two iterations side by side” on Outcomes.",
    ),
    _T(
        "reviewers_agreeing",
        "Reviewers agreeing (per cohort)",
        ("reviewers agreeing", "reviewer verdicts", "agreeing low", "agreeing high"),
        "Of the verdicts reviewers gave in closed review rounds on the {cases} of a cohort, the share that agreed "
        "with the model's decision, with its 95 % Wilson interval; undefined where no reviewer judged any of its "
        "{cases}.",
        "reviewers agreeing = verdicts “agree” / all verdicts given on the cohort's {cases} (“unsure” included)",
        "A cohort where the model errs often and reviewers still agree with it is one where people over-trust it.",
        no_example=FROM_ROUNDS,
    ),
    _T(
        "false_positive_rate",
        "False positive rate",
        ("false positive rate", "fpr"),
        "Of the {cases} whose actual outcome was “{good}”, the share that wrongly get “{pos}”.",
        "FP / (FP + TN)",
        "Lower is better, and similar across groups.",
    ),
    _T(
        "true_negative_rate",
        "True negative rate",
        ("true negative rate", "tnr"),
        "Of the {cases} whose actual outcome was “{good}”, the share that get “{neg}”.",
        "TN / (TN + FP) = 1 − false positive rate",
        "Higher is better, and similar across groups.",
    ),
    _T(
        "false_negative_rate",
        "False negative rate (missed {pos_cases})",
        ("false negative rate", "fnr", "miss rate"),
        "Of the {cases} whose actual outcome was “{outcome}”, the share the model lets through with “{neg}”.",
        "FN / (FN + TP) = 1 − recall",
        "Lower is better, and similar across groups.",
    ),
    _T(
        "outcome_rate_among_favourable",
        "{Outcome} rate among the {neg_past}",
        ("{outcome} rate among {neg_past}", "positive rate among favourable"),
        "Of the {cases} that get “{neg}”, the share whose outcome is still “{outcome}”: what slips through.",
        "FN / (FN + TN)",
        "Lower is better; a group with a much higher value is being {neg_past} too easily.",
    ),
    _T(
        "mean_score",
        "Mean score",
        ("mean score", "average score"),
        "The average score of a set of {cases}; the Fairness page shows it per group.",
        "sum of the scores / number of cases",
        "Close to the group's actual {outcome} rate: a gap means the model over- or under-states that group's risk.",
    ),
    _T(
        "dp_ratio",
        "Disparate impact ratio (demographic-parity ratio)",
        ("disparate impact ratio", "demographic-parity ratio", "demographic parity ratio"),
        "Compares how often the groups of a protected attribute (such as sex or age band) get the favourable "
        "decision, “{fav}”: the lowest group's {fav} rate divided by the highest.",
        "lowest group {fav} rate / highest group {fav} rate (fairlearn demographic_parity_ratio on the favourable "
        "decision)",
        "1.0 means equal rates; the four-fifths rule asks for at least 0.8.",
        metric_key="dp_ratio",
        no_example=NO_GROUPS,
    ),
    _T(
        "dp_difference",
        "Demographic-parity difference",
        ("demographic-parity difference", "demographic parity difference"),
        "The gap between the highest and the lowest group's rate of the favourable decision, “{fav}”.",
        "highest group {fav} rate − lowest group {fav} rate",
        "0 means equal rates; under 0.1 (10 points) is a common aim.",
        metric_key="dp_difference",
        no_example=NO_GROUPS,
    ),
    _T(
        "equal_opportunity_difference",
        "Equal-opportunity difference",
        ("equal-opportunity difference", "equal opportunity difference"),
        "Among {deserving} (whose actual outcome, “{fav_outcome}”, deserved “{fav}”), the gap between groups in how "
        "often they got it.",
        "highest − lowest group share of {deserving} who got “{fav}” (fairlearn equal_opportunity_difference on the "
        "favourable outcome)",
        "0 means equal; under 0.1 is a common aim.",
        metric_key="equal_opportunity_difference",
        no_example=NO_GROUPS,
    ),
    _T(
        "equalized_odds_difference",
        "Equalized-odds difference",
        ("equalized-odds difference", "equalized odds difference"),
        "The larger of two gaps between groups: in catching {pos_cases} (recall), and in wrongly {pos_past} {cases} "
        "whose outcome would be “{good}” (false positive rate).",
        "max(highest − lowest group recall, highest − lowest group false positive rate) (fairlearn)",
        "0 means equal; under 0.1 is a common aim.",
        metric_key="equalized_odds_difference",
        no_example=NO_GROUPS,
    ),
    _T(
        "four_fifths",
        "Four-fifths rule",
        ("four-fifths rule", "four-fifths screen", "80% rule"),
        "A screen from employment practice: if a group gets the favourable decision less than four fifths as often as "
        "the best-treated group, look closer. A screen, not a verdict.",
        f"disparate impact ratio ≥ {FOUR_FIFTHS}",
        f"Passed: a ratio of at least {FOUR_FIFTHS}. If not, look at the groups and at the reasons behind the gap.",
        no_example=NO_GROUPS,
    ),
    _T(
        "interval",
        "95% interval",
        ("95% interval", "confidence interval"),
        "The range a gap metric would plausibly take on another sample of {cases} like these; small groups give wide "
        "intervals.",
        "2.5th to 97.5th percentile of the metric over 500 resamples of the cases (drawn with replacement, seeded)",
        "Narrow: a wide interval means the groups are too small to say how large the gap is. The gaps are "
        "distances (never below 0), so whether a gap could be chance is the next term's question.",
        no_example=NO_GROUPS,
    ),
    _T(
        "chance",
        "Chance of a gap this large",
        ("chance of a gap this large", "could be chance", "p-value", "permutation test"),
        "How often a gap at least this large appears when the same {cases} are split into groups of the same sizes at "
        "random "
        "(for the odds metrics, at random among {cases} with the same actual outcome).",
        "share of 500 random regroupings (seeded) with a gap at least as large as the one measured: a permutation test",
        "Under 5 %: the gap is unlikely to be chance alone. Over 5 %: a gap this large often arises by chance with "
        "groups this size.",
        no_example=NO_GROUPS,
    ),
    _T(
        "shap",
        "SHAP contribution",
        ("shap contribution", "shap value", "contribution", "shap"),
        "How much one input pushed this {case}'s score towards “{outcome}” (positive) or away from it (negative), "
        "compared with the average {case}: the bars of the waterfall.",
        "log-odds of the score = base value + the sum of every input's contribution (exact SHAP)",
        "Neither good nor bad: the large positive ones are the reasons for a “{pos}”, and a protected attribute "
        "should not be among the large ones.",
    ),
    _T(
        "base_value",
        "Base value (the average {case})",
        ("base value", "average {case}"),
        "Where every explanation starts: the model's output for an average {case}, before any input of this {case} is "
        "looked at.",
        "average model output (log-odds) over the cases the explainer learnt from",
        "Fixed per iteration; close to the actual {outcome} rate for a well-calibrated model.",
    ),
    _T(
        "log_odds",
        "Log-odds",
        ("log-odds", "log odds"),
        "The scale SHAP contributions add up on. A probability p becomes log(p / (1 − p)): 50% is 0, higher "
        "probabilities are positive, lower ones negative.",
        "log-odds = ln(p / (1 − p)); p = 1 / (1 + e^(−log-odds))",
        "Not a target: +1 log-odds multiplies the odds of “{outcome}” by about 2.7.",
    ),
    _T(
        "global_importance",
        "Global importance (mean |SHAP|)",
        ("global importance", "mean |shap|", "importance", "rank change"),
        "How strongly an input drives the scores overall: the average size of its SHAP contributions over the "
        "evaluation {cases}, whatever the direction. Compare ranks the inputs by it.",
        "mean over the cases of |SHAP contribution of the input|",
        "No target: the top inputs should make business sense, and a protected attribute should not be near the top.",
    ),
    _T(
        "shap_dependence",
        "SHAP dependence",
        ("shap dependence", "dependence plot", "interacts most with"),
        "For one input, each {case}'s value of it against its SHAP contribution, from the SHAP values stored when the "
        "iteration was registered: how the push on the score changes with the value. The points are coloured by the "
        "input that interacts with it most (shap's approximate_interactions rule: the one that best explains the "
        "spread of the contribution among {cases} with similar values).",
        "one point per {case}: (its value of the input, the input's SHAP contribution for it)",
        "No target: the shape should make business sense; a wide vertical spread at one value means the push "
        "depends on other inputs too (the colour shows which).",
        no_example="It needs an input chosen: see How each input moves the score on Outcomes.",
    ),
    _T(
        "partial_dependence",
        "Partial dependence",
        ("partial dependence", "partial dependence curve"),
        "The average score when every {case} is given the same value of one input, all its other inputs kept as they "
        "are, for a grid of values (computed by scikit-learn's partial_dependence). Where the input is strongly "
        "associated with another, the grid creates {cases} that do not occur, and the curve can mislead: the page "
        "then names the other input.",
        "PD(v) = mean over the {cases} of the score with the input set to v",
        "No target: compare it with what the business expects of the input (a score that should rise with it, say) "
        "and between iterations, e.g. before and after a monotone constraint.",
        no_example="It needs an input chosen: see How each input moves the score on Outcomes.",
    ),
    _T(
        "ice",
        "ICE (individual conditional expectation)",
        ("ice", "individual conditional expectation", "ice lines"),
        "The curve of partial dependence for a single {case}: its score as one input sweeps the grid, its other inputs "
        "fixed. Partial dependence is the average of these lines; a seeded sample of them is drawn.",
        "ICE(case, v) = the score of the {case} with the input set to v",
        "Lines parallel to the average mean the input acts the same for everyone; crossing lines mean it interacts "
        "with other inputs.",
        no_example="It needs an input chosen: see How each input moves the score on Outcomes.",
    ),
    _T(
        "reason_codes",
        "Reason codes (principal reasons)",
        ("reason codes", "principal reasons", "reasons"),
        "Up to four inputs, in plain words, that pushed the score most towards “{outcome}”, as in a credit "
        "adverse-action notice. A protected attribute is never a reason; when one drives the score, a separate "
        "fairness warning says so.",
        "inputs with a positive SHAP contribution, largest first, at most 4, protected attributes left out",
        "They should read as sensible reasons to the {case}; say so in feedback when one does not.",
    ),
    _T(
        "flips",
        "Decisions that flip (flip rate)",
        ("decisions that flip", "flip rate", "flips", "{neg} → {pos}", "{pos} → {neg}", "unchanged"),
        "Between two iterations on the same {cases}: how many change from “{neg}” to “{pos}”, how many the other way, "
        "and how many stay. The flip rate is the share of a group that flips.",
        "flips = cases where the old decision ≠ the new decision; flip rate = flips in the group / cases in the group",
        "Few, explained by the notes of the new iteration, and not concentrated in one group unless the change "
        "targeted it.",
        no_example=TWO_ITERATIONS,
    ),
    _T(
        "fixes",
        "Flagged cases fixed",
        ("flagged cases fixed", "fixed"),
        "Of the {cases} where reviewers disagreed with the older iteration and said what they expected, how many the "
        "newer iteration now decides that way.",
        "fixed of flagged = cases now decided as the reviewers expected, of the flagged cases both iterations are "
        "shown on",
        "All of them, or a note in the new iteration saying why not.",
        patterns=(r"flagged cases \S+ now decides as the reviewers expected",),
        no_example=TWO_ITERATIONS,
    ),
    _T(
        "cost_fp",
        "Cost of a wrong “{pos}” (false positive)",
        ("{a_neg_case} wrongly {pos_past}", "false positive cost"),
        "What the business loses when {a_case} whose outcome would be “{good}” gets “{pos}”. Set by the business "
        "owner on the Outcomes page.",
        "agreed amount per false positive",
        "An agreed business figure, not a model property.",
        no_example=NO_COSTS,
    ),
    _T(
        "cost_fn",
        "Cost of a missed {pos_case} (false negative)",
        ("{a_pos_case} wrongly {neg_past}", "false negative cost"),
        "What the business loses when {a_case} whose outcome is “{outcome}” gets “{neg}”: a fixed amount plus, "
        "optionally, a share of one input (e.g. half the amount).",
        "fixed amount + share × the value of the chosen input, per missed case",
        "An agreed business figure, not a model property.",
        no_example=NO_COSTS,
    ),
    _T(
        "expected_cost",
        "Expected cost of errors (per case, per 1,000 cases)",
        (
            "expected cost per case",
            "expected cost per 1,000 cases",
            "at the cost-optimal threshold",
            "total cost",
            "cost of errors",
            "cost per 1,000 decisions",
        ),
        "What the wrong decisions on the evaluation {cases} cost under the agreed cost matrix, spread over all cases.",
        "total = sum of the false positives' costs + sum of the missed {pos_cases}' costs; per case = total / cases; "
        "per 1,000 cases = per case × 1,000",
        "Lower is better: compare thresholds and iterations on it.",
        metric_key="expected_cost_per_case",
        no_example=NO_COSTS,
    ),
    _T(
        "cost_optimal_threshold",
        "Cost-optimal threshold",
        ("cost-optimal threshold",),
        "The threshold at which the expected cost of errors on the evaluation {cases} is lowest, searched over every "
        "distinct score.",
        "the threshold t with the lowest total cost(t); the highest one among equally cheap thresholds",
        "A starting point for the operating threshold: check the decision rates and fairness there before adopting it.",
        no_example=NO_COSTS,
    ),
    _T(
        "latency",
        "Latency of score + explanation (p95, median)",
        ("p95 latency of score + explanation", "score + explanation", "latency", "median latency"),
        "How long it takes to score {a_case} and explain it (encoding, score, SHAP and reasons): 95% of cases take at "
        "most the p95; half take at most the median (p50).",
        "p95 = 95th percentile of the measured times in milliseconds; median = 50th percentile",
        "Under the agreed goal (for example 100 ms); people notice waits of more than about a second.",
        metric_key="latency_p95_ms",
        no_example=TIMED,
    ),
    _T(
        "psi",
        "PSI (population stability index)",
        ("psi", "population stability index", "data drift"),
        "How much the mix of an input's values has changed between a reference window (the months the iteration "
        "learnt from) and now: numbers are cut into ten bands of the reference, categories are compared as they are.",
        "PSI = sum over the bands of (current share − reference share) × ln(current share / reference share)",
        f"Under {BANDS[0][0]} stable, {BANDS[0][0]} to {BANDS[1][0]} watch, over {BANDS[1][0]} act.",
        no_example=NO_TIME,
    ),
    _T(
        "psi_band",
        "PSI band (stable, watch, act)",
        ("band", "psi band", "columns to act on", "columns to watch"),
        "The PSI in words, and on Monitoring the number of inputs in each band.",
        f"stable: PSI < {BANDS[0][0]}; watch: {BANDS[0][0]} ≤ PSI < {BANDS[1][0]}; act: PSI ≥ {BANDS[1][0]}",
        "Stable for every input; “act” means find out what changed and consider a new iteration.",
        no_example=NO_TIME,
    ),
    _T(
        "missing_values",
        "Missing values (count and share)",
        ("missing", "missing share", "missing values"),
        "How many of the cases have no value for an input, and what share of the cases that is — overall and in "
        "each group (by outcome, decision or protected group) on Outcomes' data explorer. The model scores a case "
        "with a missing value as it is; What-if keeps it missing unless you set it.",
        "missing share = cases with no value for the input / cases in the group",
        "Low and similar across groups; a share that differs by group or by outcome is worth a question about "
        "how the data is collected.",
        no_example="A count of the data behind the iteration, not a measure of the model.",
    ),
    _T(
        "score_drift",
        "Score drift (PSI of the score)",
        ("score drift", "score psi"),
        "The PSI of the model's scores instead of an input: whether the mix of low and high scores has changed.",
        "PSI of the scores, current window against the reference window",
        f"Under {BANDS[0][0]}; over {BANDS[1][0]} the decision rates are likely to have moved.",
        no_example=NO_TIME,
    ),
    _T(
        "ks_statistic",
        "Kolmogorov-Smirnov statistic",
        ("kolmogorov-smirnov statistic", "ks statistic", "kolmogorov-smirnov", "statistic"),
        "For a numeric input: the largest gap between the share of reference and of current cases below any value. In "
        "the drift table, “statistic” holds it for numbers and the chi-square statistic for categories.",
        "KS = max over x of |share of reference cases ≤ x − share of current cases ≤ x|",
        "0 means the same distribution; read it with its p-value and the PSI.",
        no_example=NO_TIME,
    ),
    _T(
        "chi_square",
        "Chi-square statistic",
        ("chi-square statistic", "chi-square"),
        "For a categorical input: how far the counts per category in the two windows are from what they would be if "
        "nothing had changed.",
        "sum over windows and categories of (observed − expected)² / expected",
        "0 means the same mix; larger means more change. Read it with its p-value.",
        no_example=NO_TIME,
    ),
    _T(
        "p_value",
        "p-value",
        ("p-value", "p value"),
        "If nothing had changed, the chance of a difference at least this large by luck alone. With thousands of "
        "cases even a tiny change gets a tiny p-value, so read it with the PSI, which measures the size.",
        "from the Kolmogorov-Smirnov or chi-square test, on at most 20,000 sampled cases per window",
        "Under 0.05 together with a PSI over 0.1: a change that is both real and material.",
        no_example=NO_TIME,
    ),
    _T(
        "feedback",
        "Feedback entries, verdicts and topics",
        (
            "feedback entries",
            "feedback",
            "verdict",
            "agree",
            "disagree",
            "unsure",
            "wrong prediction",
            "unclear explanation",
            "missing factor",
            "fairness concern",
            "slow",
            "bug",
            "feature request",
            "other",
        ),
        "What reviewers said about the cases: each entry keeps the iteration, the case, the score and reasons shown, "
        "a verdict (agree, disagree, unsure) and what it is about.",
        "count of entries, per iteration, per verdict or per topic (an entry counts once per topic)",
        "Enough entries on the cases that matter; read the verdicts and comments, not only the count.",
        no_example=FROM_STORE,
    ),
    _T(
        "disagreement_rate",
        "Disagreement rate",
        ("disagreement rate", "share of disagree", "feedback disagreeing"),
        "The share of feedback entries whose verdict is “disagree”, per week and iteration.",
        "entries with verdict “disagree” / all entries in the period",
        "Falling from one iteration to the next.",
        no_example=FROM_STORE,
    ),
    _T(
        "usage",
        "Usage (page views, explanations viewed, feedback submitted)",
        ("page views", "explanations viewed", "feedback submitted", "usage"),
        "How the app itself is used over the last 90 days: page visits, case explanations opened and feedback sent, "
        "by page and role.",
        "count of recorded events of each kind",
        "Steady use by the people the model serves; no use means nobody is looking.",
        no_example=FROM_STORE,
    ),
    _T(
        "scorecard",
        "Goal scorecard (pass, FAIL, no value)",
        ("goal scorecard", "scorecard", "criterion"),
        "Every agreed success criterion judged for an iteration at its threshold: the value, pass or FAIL, or why "
        "there is no value (such as no cost matrix yet).",
        "pass if the value meets the target with the agreed comparison (≥ or ≤), otherwise FAIL",
        "Pass on every criterion before sign-off; a FAIL must be acknowledged by the signer.",
        no_example="It judges the criteria agreed on the Goals page.",
    ),
    _T(
        "krippendorff_alpha",
        "Krippendorff's alpha",
        ("krippendorff's alpha",),
        "How far the reviewers of a round agree with each other on their own, blind decisions, beyond what chance "
        "would give: 1 is full agreement, 0 no better than chance, below 0 systematic disagreement. Shown with a 95% "
        "bootstrap interval over the cases; undefined when every reviewer gave the same decision on every case.",
        "alpha = 1 − observed disagreement / disagreement expected by chance (nominal; cases seen by two or more)",
        "0.8 or more is usually read as reliable agreement; below 0.67, people read the cases differently.",
        no_example=FROM_ROUNDS,
    ),
    _T(
        "fleiss_kappa",
        "Fleiss' kappa",
        ("fleiss' kappa",),
        "Agreement between the reviewers of a round beyond chance, on the cases seen by the same number of reviewers; "
        "read like Krippendorff's alpha.",
        "kappa = (observed agreement − chance agreement) / (1 − chance agreement)",
        "Close to 1; near 0 means the reviewers agree no more than chance.",
        no_example=FROM_ROUNDS,
    ),
    _T(
        "agreement_with_model",
        "Agreement with the model",
        ("agreement with the model",),
        "The share of reviewers' own decisions, made before the model's was shown, that equal the model's decision, "
        "with its 95% Wilson interval.",
        "blind decisions equal to the model's / all blind decisions",
        "High, with the lower end of the interval above the target the team agreed. As a success criterion or a "
        "hypothesis's claim it is judged by that interval (latest closed round of the iteration): “at least 0.85” is "
        "met only when the lower bound is at least 0.85, not met when the upper bound is below it, else undecided.",
        metric_key="agreement_with_model",
        no_example=FROM_ROUNDS,
    ),
    _T(
        "clarity",
        "Clarity of explanations",
        ("clarity of explanations", "clarity"),
        "How clear the reviewers of a round found the reasons shown for the model's decision, rated 1 (unclear) to 5 "
        "(clear) after the reveal: the mean rating of the iteration's latest closed round, with its 95% t interval.",
        "clarity = mean of the clarity ratings given (1–5)",
        "4 or more. As a criterion or a claim it is judged by its interval, like agreement with the model.",
        metric_key="clarity",
        no_example=FROM_ROUNDS,
    ),
    _T(
        "mind_changed",
        "Mind changed by the reveal",
        ("mind changed by the reveal",),
        "How often a reviewer's verdict after seeing the model's decision and reasons contradicts their own blind "
        "decision: they agreed with a decision they had not made, or disagreed with one they had.",
        "verdicts contradicting the reviewer's blind decision / verdicts agree or disagree",
        "Low means the explanation rarely sways people; high means it persuades (check it persuades rightly).",
        no_example=FROM_ROUNDS,
    ),
    _T(
        "expectations_met",
        "Expectations met",
        ("expectations met", "expectation", "expectations", "broken expectation", "adjudication"),
        "What the reviewers of a closed round agreed a case's decision should be — unanimously and as the model "
        "decided, or as an adjudicator recorded for a case they split on — is kept as an expectation, and so is a case "
        "someone pins on Explore (“this case should be …”, with a reason). Each iteration meets an expectation when it "
        "decides the case that way at its threshold, and breaks it otherwise; a case it was not evaluated on is not "
        "checked. The latest expectation per case counts; a retired one (kept with who retired it and why) does not.",
        "expectations met / expectations checked (met + broken)",
        "All of them; a broken one means the iteration now contradicts what reviewers agreed. As a criterion or a "
        "claim the share met is judged by its 95% Wilson interval.",
        metric_key="expectations_met",
        no_example=FROM_ROUNDS,
    ),
    _T(
        "hypothesis",
        "Hypothesis",
        ("hypothesis", "hypotheses", "claim", "confirmed", "refuted", "waiting"),
        "What an iteration is meant to show, stated by a data scientist or an admin on Iterations (or when it is "
        "registered), as measurable claims on the goals' metrics and the review metrics, absolute or as a change from "
        "the parent iteration (“ROC AUC vs parent ≥ −0.01”: it loses at most 0.01). Each claim is confirmed, refuted, "
        "or waiting for its data (a review round, a cost matrix), and says why.",
        "a review metric's claim “≥ t”: confirmed if the 95% interval's lower bound ≥ t, refuted if the upper one < t",
        "Every claim confirmed; a refuted one is a finding too: the change did not do what it was meant to.",
        no_example="It judges the claims stated on the Iterations page.",
    ),
)


def collect_words(use_case: UseCase) -> dict[str, str]:
    """The words the glossary's templates are filled with for a use case ({pos}, {a_case}, {fav} ...)."""
    pos, neg, words = use_case.positive_decision, use_case.negative_decision, use_case.words
    return {
        "cases": words.cases,
        "a_case": with_article(words.case),
        "pos_case": words.positive_case,
        "pos_cases": words.positive_cases,
        "a_pos_case": with_article(words.positive_case),
        "a_neg_case": with_article(words.negative_case),
        "pos_decisions": words.positive_decisions,
        "pos": pos,
        "neg": neg,
        "Pos": pos.capitalize(),
        "Neg": neg.capitalize(),
        "pos_past": use_case.past(pos),
        "neg_past": use_case.past(neg),
        "outcome": use_case.positive_outcome,
        "good": use_case.negative_outcome,
        "Outcome": use_case.positive_outcome.capitalize(),
        "case": use_case.case_noun,
        # the decision that is good for the case, and the outcome that deserved it (use case's)
        "fav": use_case.favourable_decision,
        "fav_past": use_case.past(use_case.favourable_decision),
        "fav_outcome": use_case.favourable_outcome,
        "deserving": words.positive_cases if use_case.favourable_is_positive else words.negative_cases,
    }


def _fill_term(term: Term, words: dict[str, str]) -> Term:
    escaped = {k: re.escape(v.lower()) for k, v in words.items()}
    return replace(
        term,
        name=term.name.format_map(words),
        aliases=tuple(a.format_map(words) for a in term.aliases),
        meaning=term.meaning.format_map(words),
        formula=term.formula.format_map(words),
        good=term.good.format_map(words),
        patterns=tuple(p.format_map(escaped) for p in term.patterns),
    )


def phrase_term(term: Term, use_case: UseCase) -> Term:
    """The term in the use case's words ("approve rate" rather than "{neg} rate")."""
    return _fill_term(term, collect_words(use_case))


def _normalise_label(label: str) -> str:
    text = str(label).replace("…", "").replace("“", "").replace("”", "").replace("_", " ").lower()
    return " ".join(text.split()).strip(" .:")


def _keys_of(term: Term) -> tuple[str, ...]:
    """The catalogue key of the term's metric and the key's stored aliases (none for other terms)."""
    return (term.metric_key, *get_metric(term.metric_key).aliases) if term.metric_key else ()


@lru_cache(maxsize=32)
def _phrase_all(words: tuple[tuple[str, str], ...]) -> tuple[tuple[Term, frozenset[str]], ...]:
    """Every term in these words, with the normalised names it answers to (cached per use case)."""
    result = []
    for term in GLOSSARY:
        phrased = _fill_term(term, dict(words))
        result.append(
            (phrased, frozenset(_normalise_label(n) for n in (phrased.name, *phrased.aliases, *_keys_of(term))))
        )
    return tuple(result)


def phrase_glossary(use_case: UseCase) -> list[Term]:
    """Every term in the use case's words, in glossary order."""
    return [term for term, _ in _phrase_all(tuple(sorted(collect_words(use_case).items())))]


def find_term(label: str, use_case: UseCase) -> Term | None:
    """The term (in the use case's words) that a label shown by a page stands for, or None."""
    text = _normalise_label(label)
    entries = _phrase_all(tuple(sorted(collect_words(use_case).items())))
    for term, names in entries:
        if text in names:
            return term
    prefixes = [
        (len(n), term)
        for term, names in entries
        for n in names
        if any(text.startswith(n + sep) for sep in (":", " (", ",", " —", " ·"))
    ]
    if prefixes:
        return max(prefixes, key=lambda item: item[0])[1]
    return next((term for term, _ in entries if any(re.fullmatch(p, text) for p in term.patterns)), None)


def search_terms(query: str, use_case: UseCase) -> list[Term]:
    """Terms whose name or aliases contain every word of the query first, then those whose meaning does."""
    words = _normalise_label(query).split()
    terms = phrase_glossary(use_case)
    if not words:
        return terms
    named = [t for t in terms if all(w in _normalise_label(" ".join((t.name, *t.aliases))) for w in words)]
    meant = [t for t in terms if t not in named and all(w in _normalise_label(t.meaning) for w in words)]
    return named + meant
