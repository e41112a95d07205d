"""The German Credit data shipped with the project, and its fixed evaluation split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

DATA_DIR = Path(__file__).resolve().parent / "data"
CREDIT_CSV = DATA_DIR / "german_credit.csv"
CREDIT_TARGET = "default"
CREDIT_SPLIT_SEED = 42
CREDIT_EVAL_FRACTION = 0.3


@dataclass(frozen=True)
class Split:
    """Training and evaluation frames; both indexed by case id and holding the target column."""

    train: pd.DataFrame
    eval: pd.DataFrame


def load_credit() -> pd.DataFrame:
    """German Credit as a frame indexed by case id (A0001...), with `default` = 1 - `risk`."""
    raw = pd.read_csv(CREDIT_CSV)
    frame = raw.drop(columns="risk")
    frame[CREDIT_TARGET] = (1 - raw["risk"]).astype(int)
    frame["job"] = frame["job"].astype(int)
    frame.index = pd.Index([f"A{i + 1:04d}" for i in range(len(frame))], name="case_id")
    return frame


def split_credit() -> Split:
    """The seeded, stratified 70/30 split every credit iteration is trained and shown on."""
    from sklearn.model_selection import train_test_split

    frame = load_credit()
    train, evaluation = train_test_split(
        frame,
        test_size=CREDIT_EVAL_FRACTION,
        random_state=CREDIT_SPLIT_SEED,
        stratify=frame[CREDIT_TARGET],
    )
    return Split(train=train.sort_index(), eval=evaluation.sort_index())
