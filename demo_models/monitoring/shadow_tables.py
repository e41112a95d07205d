"""A shadow comparison as Monitoring and `involve monitor shadow` show it: the same sentences and tables,
in the use case's words, "—" with the reason where a figure is undefined."""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo_models.formats import UNDEFINED, format_count, format_money, format_share
from demo_models.metrics.costs import format_threshold
from demo_models.monitoring.shadow import FLIPS, TO_UNFAVOURABLE, Shadow
from demo_models.vocabulary import UseCase, capitalise


def flip_label(way: str, use_case: UseCase) -> str:
    """A flip in the use case's words: "approved → declined" (to the unfavourable decision) or back."""
    favourable, unfavourable = (
        use_case.past(use_case.favourable_decision),
        use_case.past(use_case.unfavourable_decision),
    )
    return f"{favourable} → {unfavourable}" if way == TO_UNFAVOURABLE else f"{unfavourable} → {favourable}"


def _share(value: float, low: float, high: float) -> str:
    if np.isnan(value):
        return UNDEFINED
    return f"{format_share(value)} ({format_share(low)}–{format_share(high)})"


def sample_sentence(shadow: Shadow, use_case: UseCase) -> str:
    """What was compared: which sample of which window, served by which iteration, at which thresholds."""
    sample = shadow.sample
    window = f"of {sample.window}" if sample.window else "of the whole log"
    served_by = f" served by {sample.served_by}" if sample.served_by else ""
    drawn = (
        f"All {sample.window_decisions:,} decisions {window}{served_by} "
        f"(fewer than the {sample.requested:,} asked for),"
        if sample.window_decisions <= sample.requested
        else f"A seeded sample of {shadow.size:,} of the {sample.window_decisions:,} decisions {window}{served_by} "
        f"(seed {sample.seed}), drawn by DuckDB where the log lies,"
    )
    return (
        f"{drawn} re-scored with {shadow.candidate.version} at its threshold "
        f"{format_threshold(shadow.candidate.threshold)}; what was decided is the logged score at "
        f"{shadow.served.version}'s threshold {format_threshold(shadow.served.threshold)}."
    )


def flips_sentence(shadow: Shadow, use_case: UseCase) -> str:
    """The flips in one sentence: how many decisions would change each way."""
    counts = shadow.flips["flips"]
    parts = [f"{format_count(int(counts[way]))} {flip_label(way, use_case)}" for way in FLIPS]
    flipped = int(counts.sum())
    return (
        f"{shadow.candidate.version} would have decided {format_count(flipped)} of {format_count(shadow.size)} "
        f"{use_case.words.cases} differently from {shadow.served.version}: {'; '.join(parts)}."
    )


def flip_table(shadow: Shadow, use_case: UseCase) -> pd.DataFrame:
    """One row per way of flipping: decisions, and their share of the sample with its 95 % interval."""
    rows = {
        flip_label(way, use_case): {
            "decisions": format_count(int(shadow.flips.loc[way, "flips"])),
            "share of the sample (95 % interval)": _share(*shadow.flips.loc[way, ["share", "low", "high"]]),
        }
        for way in FLIPS
    }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("flip")


def group_table(shadow: Shadow, attribute: str, use_case: UseCase) -> pd.DataFrame:
    """Per group of a protected attribute: cases, and each way's flips with their share and interval."""
    table = shadow.by_group[attribute]
    shown = pd.DataFrame(index=table.index.rename(use_case.label(attribute)))
    shown[capitalise(use_case.words.cases)] = table["cases"].map(format_count)
    for way in FLIPS:
        shown[flip_label(way, use_case)] = [
            f"{format_count(int(n))}: {_share(s, lo, hi)}"
            for n, s, lo, hi in table[[way, f"{way} share", f"{way} low", f"{way} high"]].to_numpy(float)
        ]
    return shown


def outcome_table(shadow: Shadow, use_case: UseCase) -> pd.DataFrame:
    """On the sampled decisions whose outcome is known: errors, error rate (95 % interval), each kind of
    error and the cost per 1,000 decisions, for both iterations and the change; "—" where undefined."""
    words, out = use_case.words, shadow.outcomes
    names = {
        "served": f"{shadow.served.version} (served)",
        "candidate": shadow.candidate.version,
    }
    rows = {
        "decisions with a known outcome": lambda r: format_count(int(r["labelled"])),
        "errors": lambda r: _count(r["errors"]),
        "error rate (95 % interval)": lambda r: _share(r["error rate"], r["error low"], r["error high"]),
        f"false positives ({words.negative_cases} {words.positive_past})": lambda r: _count(r["false positives"]),
        f"false negatives ({words.positive_cases} {words.negative_past})": lambda r: _count(r["missed positives"]),
        "cost per 1,000 decisions": lambda r: format_money(r["cost per 1,000"], shadow.currency),
    }
    table = pd.DataFrame({names[who]: {k: f(out.loc[who]) for k, f in rows.items()} for who in ("served", "candidate")})
    change = {k: "" for k in rows}
    change["errors"] = _signed(out.loc["candidate", "errors"] - out.loc["served", "errors"], "{:+,.0f}")
    change["error rate (95 % interval)"] = _signed(shadow.error_change * 100, "{:+.1f} points")
    change["cost per 1,000 decisions"] = _signed(
        shadow.cost_change, "{:+,.0f}" + (f" {shadow.currency}" * bool(shadow.currency))
    )
    table["change"] = pd.Series(change)
    return table


def _count(value: float) -> str:
    return UNDEFINED if value is None or np.isnan(value) else format_count(int(value))


def _signed(value: float, template: str) -> str:
    return UNDEFINED if value is None or np.isnan(value) else template.format(value)


def undefined_notes(shadow: Shadow, use_case: UseCase) -> list[str]:
    """Why a figure is undefined (no outcome known, no cost matrix, a protected attribute not in the log),
    and anything left out of the sample."""
    notes = list(shadow.notes)
    if shadow.why_no_errors:
        notes.append(f"Errors are undefined: {shadow.why_no_errors}.")
    elif shadow.why_no_costs:
        notes.append(f"Cost is undefined: {shadow.why_no_costs}.")
    for attribute in shadow.groups_missing:
        notes.append(f"Flips by {use_case.label(attribute).lower()} are undefined: the log has no column {attribute}.")
    return notes
