"""`import tsrnn`: what it loads, and the public names it serves on first use."""

import subprocess
import sys

import pytest

import tsrnn


def run(code: str) -> None:
    """Run ``code`` in a fresh interpreter (a package is imported once per process)."""
    subprocess.run([sys.executable, "-c", code], check=True)


def test_importing_tsrnn_leaves_scikit_learn_and_statsmodels_out():
    run("import sys, tsrnn\n"
        "net = tsrnn.RecurrentNetwork('lstm', 1, 4)\n"
        "assert 'sklearn' not in sys.modules and 'statsmodels' not in sys.modules")


def test_public_names_load_on_first_use():
    run("import sys, tsrnn\n"
        "assert 'tsrnn.estimators' not in sys.modules\n"
        "assert tsrnn.LSTMRegressor.__module__ == 'tsrnn.estimators'\n"
        "assert 'tsrnn.estimators' in sys.modules\n"
        "from tsrnn import RNNForecaster, metrics\n"
        "assert RNNForecaster.__module__ == 'tsrnn.forecasting.neural'\n"
        "assert callable(metrics.mase)")


@pytest.mark.parametrize("first", ["from tsrnn.backtest import Comparison",
                                   "import tsrnn.backtest", "import tsrnn.cli"])
def test_backtest_stays_the_function_whatever_is_imported_first(first):
    # Python binds a submodule to its package's attribute when the submodule is first imported
    run(f"{first}\nimport tsrnn\nfrom tsrnn import backtest\n"
        "assert callable(backtest) and tsrnn.backtest is backtest\n"
        "assert backtest.__module__ == 'tsrnn.backtest'")


def test_every_name_in_all_resolves():
    for name in tsrnn.__all__:
        assert getattr(tsrnn, name) is not None
    assert set(tsrnn.__all__) <= set(dir(tsrnn))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        tsrnn.nope  # noqa: B018
