"""The classic forecasting baselines, on the same pandas interface as the neural forecasters.

`Naive`, `SeasonalNaive`, `Drift` and `Mean` are the simple benchmarks of Hyndman &
Athanasopoulos (FPP3); `ARIMA`, `AutoARIMA`, `ETS` and `Theta` run statsmodels, one model per
series.
"""

from .forecasting.baselines import ARIMA, ETS, AutoARIMA, Drift, Mean, Naive, SeasonalNaive, Theta

__all__ = ["ARIMA", "AutoARIMA", "Drift", "ETS", "Mean", "Naive", "SeasonalNaive", "Theta"]
