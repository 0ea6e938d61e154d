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
