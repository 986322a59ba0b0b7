"""Shared test settings: hypothesis profile and a seeded generator fixture."""

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "book", deadline=None, max_examples=40, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("book")


@pytest.fixture
def rng():
    """A fresh generator with a fixed seed for each test."""
    return np.random.default_rng(20240611)
