import pandas as pd

from demo_models.builtin.german_credit import CREDIT_CSV, CREDIT_TARGET, load_credit, split_credit


def test_credit_data_has_default_as_the_opposite_of_risk():
    raw = pd.read_csv(CREDIT_CSV)
    frame = load_credit()
    assert len(frame) == 1000 and "risk" not in frame.columns
    assert (frame[CREDIT_TARGET].to_numpy() == 1 - raw["risk"].to_numpy()).all()
    assert frame[CREDIT_TARGET].sum() == 300
    assert frame.index[0] == "A0001" and frame.index[-1] == "A1000"


def test_split_is_fixed_stratified_and_disjoint():
    first, second = split_credit(), split_credit()
    assert list(first.eval.index) == list(second.eval.index)
    assert len(first.eval) == 300 and len(first.train) == 700
    assert not set(first.eval.index) & set(first.train.index)
    assert first.eval[CREDIT_TARGET].sum() == 90  # 30 % defaults, as in the whole data
