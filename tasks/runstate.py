"""Run state of an output folder: lock, input manifest, and snapshot publishing.

Takes an output folder and gives the three things that make runs safe to repeat
and to kill:

* ``OutputLock``: one run at a time per output folder (``flock`` on
  ``<out>/.govreports.lock``, released by the kernel even on SIGKILL); a second
  run is refused with a message naming the holder.
* ``Manifest``: the input files by content hash and, per document, a key of
  what its derived rows were computed from; a re-run compares against it to
  redo only what changed. Written last, atomically, after outputs are published.
* ``Snapshot``: every dataset of a run is written into a fresh folder
  ``<out>/.snapshots/<id>/``; publishing swaps the ``<out>/parquet`` symlink to
  it in one rename, so readers see the previous complete set of datasets or the
  new one, never a mix, whenever a run is killed (cc_net's tmp-then-finalize).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

LOCK_FILE = ".govreports.lock"
MANIFEST_FILE = "manifest.json"
SNAPSHOTS = ".snapshots"
PARQUET_LINK = "parquet"


class OutputLocked(Exception):
    """Another govreports run holds the output folder."""


class OutputLock:
    """An exclusive, non-blocking lock on an output folder.

    Args:
        out_dir: The output folder; created if missing.
    """

    def __init__(self, out_dir: Path | str):
        self.path = Path(out_dir) / LOCK_FILE
        self._fh = None

    def __enter__(self) -> "OutputLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            raise OutputLocked(
                f"another govreports run holds {self.path.parent} ({holder}); "
                "wait for it to finish or use another --out folder"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}")
        fh.flush()
        self._fh = fh
        return self

    def __exit__(self, *exc) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file's bytes, read in chunks so large files stay out of memory."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass
class Manifest:
    """What the last complete run was computed from.

    Args:
        code_version: Hash of the pipeline's code and resources.
        files: Input file (relative path) -> sha256 of its bytes.
        doc_keys: stage ('extract', 'segment') -> doc_id -> key of what that
            stage's rows of the document were computed from.
    """

    code_version: str = ""
    files: dict[str, str] = field(default_factory=dict)
    doc_keys: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, out_dir: Path | str) -> "Manifest":
        """Reads <out>/manifest.json; an absent or unreadable one is an empty manifest."""
        path = Path(out_dir) / MANIFEST_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(data.get("code_version", ""), data.get("files", {}), data.get("doc_keys", {}))
        except (OSError, ValueError):
            return cls()

    def save(self, out_dir: Path | str) -> None:
        """Writes the manifest atomically."""
        path = Path(out_dir) / MANIFEST_FILE
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(self.__dict__, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)


def code_version(roots: list[Path] | None = None) -> str:
    """Hash of the source and resource files that shape the outputs.

    A change to any stage's code, dictionary or SQL invalidates cached rows, so an
    upgrade never mixes rows computed by two versions.
    """
    base = Path(__file__).resolve().parent.parent
    roots = roots or [base / "tasks", base / "warehouse"]
    h = hashlib.sha256()
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in {".py", ".sql", ".txt", ".tsv", ".csv"}:
                h.update(path.relative_to(base).as_posix().encode())
                h.update(path.read_bytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class Snapshot:
    """A fresh folder to write one run's datasets into, published in one rename."""

    out_dir: Path
    path: Path

    @classmethod
    def create(cls, out_dir: Path | str) -> "Snapshot":
        out_dir = Path(out_dir)
        token = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.time_ns() % 10**9:09d}"
        path = out_dir / SNAPSHOTS / token
        path.mkdir(parents=True, exist_ok=False)
        return cls(out_dir, path)

    def publish(self) -> None:
        """Points <out>/parquet at this snapshot atomically, then removes older ones."""
        link = self.out_dir / PARQUET_LINK
        if link.exists() and not link.is_symlink():
            # an output folder from before snapshots: move the real folder aside once
            shutil.rmtree(link)
        tmp = self.out_dir / f".{PARQUET_LINK}.link-{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(Path(SNAPSHOTS) / self.path.name, target_is_directory=True)
        os.replace(tmp, link)
        prune_snapshots(self.out_dir)


def published_snapshot(out_dir: Path | str) -> Path | None:
    """The snapshot folder <out>/parquet points at, or None before the first run."""
    link = Path(out_dir) / PARQUET_LINK
    return link.resolve() if link.is_dir() else None


def prune_snapshots(out_dir: Path | str) -> None:
    """Deletes every snapshot but the published one (left-overs of killed runs too)."""
    current = published_snapshot(out_dir)
    root = Path(out_dir) / SNAPSHOTS
    if not root.is_dir():
        return
    for path in root.iterdir():
        if current is None or path.resolve() != current:
            shutil.rmtree(path, ignore_errors=True)
