"""Shared fixtures: the seed corpus through the stages, once per session; the Prefect harness."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def _statecouncil() -> Path:
    """The development corpus of State Council reports (shared/, beside the checkout; not in the repo).

    GOVREPORTS_CORPORA names another folder holding statecouncil/; tests that need the
    corpus skip, saying so, where none is found.
    """
    for base in (os.environ.get("GOVREPORTS_CORPORA"), ROOT.parent / "shared" / "corpora", "/work/shared/corpora"):
        if base and (Path(base) / "statecouncil").is_dir():
            return Path(base) / "statecouncil"
    return ROOT.parent / "shared" / "corpora" / "statecouncil"


STATECOUNCIL = _statecouncil()

# The files that take a minute or more (pytest --durations), longest first. With --dist loadfile a
# worker takes the next file in collection order when it is nearly done with its own: in name order
# one worker drew three of these back to back (254 s against the other's 183 s).
LONG_FILES = ("test_flow.py", "test_cli.py", "test_warehouse.py", "test_deployments.py")


def pytest_collection_modifyitems(config, items):
    """Long files first, the rest in name order, so the workers finish on short files together."""
    rank = {name: i for i, name in enumerate(LONG_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONG_FILES)))


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def seed_ingest():
    """ingest_folder over the real seeds."""
    from tasks.ingest import ingest_folder

    return ingest_folder(SEEDS)


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory):
    """One temporary Prefect server and database for every flow test of the session."""
    from flows.settings import apply_prefect_defaults

    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect_home"))
    apply_prefect_defaults()
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(scope="session")
def crafted_warehouse(tmp_path_factory):
    """The warehouse built once from tests/test_marts.py's crafted rows, for tests that only read it.

    Returns:
        The warehouse file and the build's WarehouseResult (tables and data test outcomes).
    """
    from test_marts import build, crafted

    tmp = tmp_path_factory.mktemp("crafted")
    result = build(tmp, crafted())
    return tmp / "w.duckdb", result
