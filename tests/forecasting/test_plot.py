"""Forecaster.plot: history, forecast and interval of one series."""

import numpy as np
import pandas as pd
import pytest

import tsrnn
from tsrnn.baselines import SeasonalNaive
from tsrnn.datasets import load_airline, make_panel

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def test_plot_draws_history_forecast_and_interval():
    y = load_airline()
    f = tsrnn.RNNForecaster(horizon=6, season_length=12, hidden_size=8, max_iter=3,
                            random_state=0).fit(y)
    ax = f.plot(6, history=24)
    history, forecast = ax.get_lines()
    assert len(history.get_xdata()) == 24 and len(forecast.get_xdata()) == 6
    np.testing.assert_allclose(forecast.get_ydata(), f.predict(6).to_numpy())
    assert len(ax.collections) == 1  # the interval band
    matplotlib.pyplot.close("all")


def test_plot_picks_a_series_of_a_panel_and_names_a_missing_one():
    panel = make_panel(n_series=3, length=48, random_state=0)
    f = SeasonalNaive(season_length=12).fit(panel)
    ax = f.plot(12, series="s2")
    expected = f.predict(12).query("unique_id == 's2'")["yhat"].to_numpy()
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), expected)
    assert ax.get_title() == "s2"
    wide = panel.pivot(index="ds", columns="unique_id", values="y")
    wide.index.freq = "MS"
    SeasonalNaive(season_length=12).fit(wide).plot(3, series="s1")
    with pytest.raises(ValueError, match="s9"):
        f.plot(12, series="s9")
    y = load_airline()
    y.index = y.index.to_period("M")
    SeasonalNaive(season_length=12).fit(y).plot(12, coverage=None)
    assert isinstance(y.index, pd.PeriodIndex)
    matplotlib.pyplot.close("all")
