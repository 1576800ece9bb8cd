"""Fixtures shared by the whole test suite."""
from pathlib import Path

import numpy as np
import pytest

COURSE_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def rng():
    """A fresh, seeded generator for each test: tests never share random state."""
    return np.random.default_rng(20261122)


@pytest.fixture(scope="session")
def course_root():
    """The folder that holds nbgrader_config.py."""
    return COURSE_ROOT
