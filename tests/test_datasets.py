"""The bundled data sets."""

import numpy as np
import pandas as pd

from tsrnn.datasets import load_airline


def test_airline_shape_and_values():
    y = load_airline()
    assert isinstance(y, pd.Series)
    assert y.name == "passengers"
    assert len(y) == 144
    assert y.dtype == np.float64
    assert not y.isna().any()
    assert y.sum() == 40363
    assert y.iloc[:3].tolist() == [112, 118, 132]
    assert y.iloc[-12:].tolist() == [417, 391, 419, 461, 472, 535, 622, 606, 508, 461, 390, 432]


def test_airline_index():
    index = load_airline().index
    assert isinstance(index, pd.DatetimeIndex)
    assert index.name == "ds"
    assert index.freqstr == "MS"
    assert index[0] == pd.Timestamp("1949-01-01")
    assert index[-1] == pd.Timestamp("1960-12-01")
    assert index.equals(pd.date_range("1949-01-01", periods=144, freq="MS", name="ds"))


def test_airline_returns_a_fresh_copy():
    y = load_airline()
    y.iloc[0] = -1.0
    assert load_airline().iloc[0] == 112


def test_macro_is_a_quarterly_wide_panel_every_forecaster_takes():
    from tsrnn.baselines import Naive
    from tsrnn.datasets import load_macro

    y = load_macro()
    assert y.shape == (203, 12) and (y.dtypes == np.float64).all()
    assert isinstance(y.index, pd.PeriodIndex) and y.index.freqstr == "Q-DEC"
    assert str(y.index[0]) == "1959Q1" and str(y.index[-1]) == "2009Q3"
    assert y.loc[pd.Period("1959Q1"), "realgdp"] == 2710.349
    out = Naive().fit(y).predict(2)
    assert [str(p) for p in out.index] == ["2009Q4", "2010Q1"] and list(out.columns) == list(y)


def test_make_panel_with_an_exogenous_effect():
    from tsrnn.datasets import make_panel

    plain = make_panel(3, 50, random_state=0)
    y, X = make_panel(3, 50, exogenous=True, random_state=0)
    assert list(X.columns) == ["unique_id", "ds", "promo"]
    assert X[["unique_id", "ds"]].equals(y[["unique_id", "ds"]])
    assert set(X.promo) == {0.0, 1.0} and 0.05 < X.promo.mean() < 0.4
    # promotions lift the series: the mean ratio to its neighbours is above 1 on promo dates
    ratio = y.y / y.groupby("unique_id").y.transform(lambda s: s.rolling(3, center=True)
                                                      .median())
    assert ratio[X.promo == 1].mean() > ratio[X.promo == 0].mean() + 0.2
    assert (plain.y > 0).all() and (y.y > 0).all()
