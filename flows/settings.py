"""Prefect settings the CLI applies before Prefect is imported.

Prefect's local default starts a temporary API server per run; on a 2-core
machine that takes 20-28 s cold, right at its 20 s default start-up timeout,
so the timeout is raised. Telemetry is off (the machine may have no network)
and PREFECT_HOME stays in the project's cache folder instead of ~/.prefect.
Values already set in the environment win, so a user pointing
PREFECT_API_URL at a running server keeps it.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LEVEL": "INFO",
}


def apply_prefect_defaults(cache_dir: Path | str = ".cache") -> None:
    """Sets Prefect's environment defaults unless the user set them already."""
    os.environ.setdefault("PREFECT_HOME", str(Path(cache_dir).resolve() / "prefect"))
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
