"""Shared fixtures. The package is imported from bindings/python (PYTHONPATH, or this file's
parent directory when that is not set) and finds libscv through $SCV_LIBRARY."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)
REPO_ROOT = os.path.dirname(os.path.dirname(PACKAGE_ROOT))
if PACKAGE_ROOT not in sys.path:
    sys.path.insert(0, PACKAGE_ROOT)

T0 = 1712000000  # 2024-04-01T19:33:20Z
DAY = 86400


@pytest.fixture
def engine():
    import scv

    with scv.Engine(region="DE", hash_key=b"test-key") as e:
        yield e


def rec(source, record_id, timestamp=None, **identifiers):
    """A record dict with identifiers given as keyword arguments."""
    return {"source": source, "record_id": record_id, "timestamp": timestamp,
            "identifiers": identifiers}
