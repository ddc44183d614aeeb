"""Prefect settings the CLI applies before Prefect is imported.

Prefect's local default starts a temporary API server per run; on a 2-core
machine that takes 20-28 s cold, right at its 20 s default start-up timeout,
so the timeout is raised. Telemetry is off (the machine may have no network)
and PREFECT_HOME stays in the project's cache folder instead of ~/.prefect.
Values already set in the environment win, so a user pointing
PREFECT_API_URL at a running server keeps it.

Prefect creates only the last folder of PREFECT_HOME, not its parents, and
when it cannot open its database there the temporary server retries until its
start-up timeout (minutes) before failing. So the folder is created here, with
its parents, and checked for writing before Prefect is imported: an unusable
home is a one-line error at once.
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


class PrefectHomeUnusable(Exception):
    """PREFECT_HOME cannot be created or written."""


def ensure_prefect_home(home: Path | str) -> Path:
    """Creates PREFECT_HOME with its parents and checks that it can be written.

    Args:
        home: The folder Prefect keeps its database and profiles in.

    Returns:
        The folder, with ``~`` expanded.

    Raises:
        PrefectHomeUnusable: The folder cannot be created, or a file cannot be written in it.
    """
    path = Path(home).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-check-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise PrefectHomeUnusable(
            f"PREFECT_HOME {path} cannot be created or written ({exc.strerror or exc}); "
            "set PREFECT_HOME to a writable folder"
        ) from exc
    return path


def apply_prefect_defaults(cache_dir: Path | str = ".cache") -> None:
    """Sets Prefect's environment defaults unless the user set them already.

    Args:
        cache_dir: Folder whose ``prefect`` subfolder becomes PREFECT_HOME when
            the environment does not name one.

    Raises:
        PrefectHomeUnusable: PREFECT_HOME (given or default) cannot be created or written.
    """
    os.environ.setdefault("PREFECT_HOME", str(Path(cache_dir).resolve() / "prefect"))
    os.environ["PREFECT_HOME"] = str(ensure_prefect_home(os.environ["PREFECT_HOME"]))
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
