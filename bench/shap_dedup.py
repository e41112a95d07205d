"""Benchmark: could exact SHAP be computed for fewer rows? On ready_to_browse.py's model and rows.

Per row: LightGBM's path-dependent TreeSHAP (`pred_contrib`) of a row depends only on which side of every split
it falls, so rows with the same code (per feature: the interval between the model's split thresholds, a missing
and a zero flag; a categorical feature's value) get bit-identical values. Reported: distinct codes, and whether
SHAP of one row per code, copied, is identical to `pred_contrib` on every row.
Per tree: a row's share in one tree depends only on its side at that tree's splits, so each tree can be explained
on its distinct rows (`start_iteration`) and the trees summed. Reported: distinct rows per tree, time, and the
largest difference from `pred_contrib` (LightGBM adds each leaf's share into one running sum across trees).

    .venv/bin/python bench/shap_dedup.py [--rows 10000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from ready_to_browse import FIT, write_rows


def _splits(booster) -> tuple[list[list[tuple[int, float]]], dict[int, set[float]], set[int]]:
    """Each tree's numeric splits (feature, threshold), every feature's thresholds, and the categorical features."""
    trees, thresholds, categorical = [], {}, set()

    def walk(node: dict, out: list[tuple[int, float]]) -> None:
        if "split_feature" not in node:
            return
        feature = node["split_feature"]
        if node["decision_type"] == "==":
            categorical.add(feature)
        else:
            out.append((feature, float(node["threshold"])))
            thresholds.setdefault(feature, set()).add(float(node["threshold"]))
        walk(node["left_child"], out)
        walk(node["right_child"], out)

    for tree in booster.dump_model()["tree_info"]:
        trees.append([])
        walk(tree["tree_structure"], trees[-1])
    return trees, thresholds, categorical


def row_codes(x: np.ndarray, thresholds: dict[int, set[float]], categorical: set[int]) -> np.ndarray:
    """Per row, per feature: the threshold interval (-1 if missing) and whether it is zero; a category as it is."""
    columns = []
    for j in range(x.shape[1]):
        values = x[:, j]
        if j in categorical:
            columns.append(np.where(np.isnan(values), -np.inf, values))
            continue
        interval = np.searchsorted(np.array(sorted(thresholds.get(j, ()))), values, side="left").astype(float)
        columns += [np.where(np.isnan(values), -1.0, interval), (np.abs(values) <= 1e-35).astype(float)]
    return np.column_stack(columns)


def _sides(x: np.ndarray, splits: list[tuple[int, float]]) -> np.ndarray:
    """One value per row standing for its side at each of a tree's splits (bits of an integer up to 64 splits)."""
    if len(splits) <= 64:
        packed = np.zeros(len(x), dtype=np.uint64)
        for bit, (feature, threshold) in enumerate(splits):
            packed |= (x[:, feature] <= threshold).astype(np.uint64) << np.uint64(bit)
        return packed
    sides = np.packbits(np.column_stack([x[:, f] <= t for f, t in splits]), axis=1)
    return np.ascontiguousarray(sides).view(np.dtype((np.void, sides.shape[1]))).ravel()


def _timed(call):
    """The call's result, wall seconds and CPU seconds (all threads)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    namespace: dict = {}
    exec(FIT, namespace)  # the bench's own model, fitted as ready_to_browse.py fits it
    with tempfile.TemporaryDirectory() as tmp:
        write_rows(Path(tmp), args.rows)
        model, evaluation = namespace["fit"](tmp)
    x = evaluation.drop(columns="y").to_numpy(dtype=float)
    booster = model.booster_
    print(f"load average {os.getloadavg()[0]:.1f}; {len(x):,} rows, {booster.num_trees()} trees")
    full, full_s, full_cpu = _timed(lambda: booster.predict(x, pred_contrib=True))
    trees, thresholds, categorical = _splits(booster)
    print(f"pred_contrib of every row   {full_s:6.2f} s, {full_cpu:6.2f} CPU s")

    def per_row() -> tuple[np.ndarray, int]:
        codes = row_codes(x, thresholds, categorical)
        _, first, inverse = np.unique(codes, axis=0, return_index=True, return_inverse=True)
        return booster.predict(x[first], pred_contrib=True)[inverse.ravel()], len(first)

    (copied, distinct), row_s, row_cpu = _timed(per_row)
    print(
        f"per row                     {row_s:6.2f} s, {row_cpu:6.2f} CPU s: {distinct:,} distinct codes; "
        f"identical to pred_contrib: {bool(np.array_equal(copied, full))}"
    )
    if categorical or np.isnan(x).any():  # the sides below are numeric comparisons without missing values
        print("per tree: not measured (categorical splits or missing values)")
        return

    def per_tree() -> tuple[np.ndarray, list[int]]:
        summed, counts = np.zeros_like(full), []
        for i, splits in enumerate(trees):
            _, first, inverse = np.unique(_sides(x, splits), return_index=True, return_inverse=True)
            counts.append(len(first))
            one = booster.predict(x[first], pred_contrib=True, start_iteration=i, num_iteration=1)
            summed += one[inverse.ravel()]
        return summed, counts

    (summed, counts), tree_s, tree_cpu = _timed(per_tree)
    print(
        f"per tree                    {tree_s:6.2f} s, {tree_cpu:6.2f} CPU s: {np.mean(counts):,.0f} distinct rows a "
        f"tree on average (max {max(counts):,}); largest difference from pred_contrib "
        f"{np.abs(summed - full).max():.1e}, {np.mean(summed == full):.0%} of the values identical"
    )


if __name__ == "__main__":
    main()
