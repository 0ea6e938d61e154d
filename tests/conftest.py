"""Fixtures shared by the tests."""

import pytest

from tests._helpers import CELL_CONFIGS, CELL_IDS


@pytest.fixture(params=CELL_CONFIGS, ids=CELL_IDS)
def cell_config(request):
    """(cell, options) for every cell and option."""
    return request.param
