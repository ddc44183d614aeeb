"""Process pools for the CPU-bound stages on one machine.

Takes a module-level function and a list of jobs and gives the results in job
order, computed in ``workers`` processes (jieba, the regex extractors and
pandas glue all hold the GIL, so threads would not help). With one worker,
or one job, the jobs run in the calling process: no pool, no pickling.

On Linux the pool forks: workers inherit the parent's loaded state (jieba's
dictionary, compiled regexes) instead of rebuilding it. ``gc.freeze`` keeps the
children's garbage collector from touching, and so copying, every inherited
page. This is the one-machine path; a Dask cluster is the scale-out path
(flows/pipeline.py hands batches to prefect-dask instead).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import itertools
import multiprocessing
import sys
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from functools import partial
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

START_METHOD = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def map_in_processes(
    fn: Callable[[T], R],
    jobs: Sequence[T],
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
    start_method: str = START_METHOD,
    on_result: Callable[[int, R], None] | None = None,
    isolate: bool = False,
) -> list[R]:
    """Runs fn over jobs in up to ``workers`` processes; results come in job order.

    Args:
        fn: A module-level function (pickled by reference).
        jobs: Its arguments, one per call; keep each small enough to pickle quickly.
        workers: Processes; 1 runs everything here.
        initializer: Run once in each worker before its first job (with
            ``start_method="fork"`` the parent's state is there already).
        initargs: Arguments of the initializer.
        start_method: multiprocessing start method of the pool.
        on_result: Called here, in the caller, with (job index, result) as each
            result arrives (in job order), e.g. to report progress.
        isolate: Run even a single job in a worker process (when workers > 1),
            so that a job's memory peak is not left resident in the caller.

    Raises:
        Whatever fn raises, re-raised in the caller.
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers!r}")
    if workers == 1 or not jobs or (len(jobs) == 1 and not isolate):
        if initializer is not None:
            initializer(*initargs)
        return _collect((fn(job) for job in jobs), on_result)
    with _pool(min(workers, len(jobs)), initializer, initargs, start_method) as pool:
        # chunksize 1: jobs are already sized to balance the load
        return _collect(pool.map(fn, jobs), on_result)


@contextlib.contextmanager
def _pool(workers: int, initializer, initargs: tuple, start_method: str):
    """A process pool of ``workers`` processes, the caller's objects frozen for the garbage collector meanwhile."""
    gc.freeze()
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context(start_method),
            initializer=initializer,
            initargs=initargs,
        ) as pool:
            yield pool
    finally:
        gc.unfreeze()


# The state of each map_with_state call, by call (keyed, so nested calls do not mix):
# forked workers find it here as set before the fork, spawned ones get it from the
# initializer.
_SHARED: dict[int, object] = {}
_shared_keys = itertools.count()


def map_with_state(
    fn: Callable[[object, T], R],
    state: object,
    jobs: Sequence[T],
    workers: int,
    on_result: Callable[[int, R], None] | None = None,
) -> list[R]:
    """map_in_processes of ``fn(state, job)``, the state handed to the workers once, not with every job.

    For a large read-only object every job reads (a corpus' texts, an index):
    forked workers inherit it, spawned ones receive it once in their initializer;
    the jobs stay small (row ranges, pass numbers).

    Args:
        fn: A module-level function of (state, job).
        state: What every job reads; it must not be changed by fn.
        jobs: Its jobs, cut from the data (never from ``workers``), so any worker
            count gives the same results.
        workers: Processes; 1 runs everything here.
        on_result: As in :func:`map_in_processes`.
    """
    with _shared(state) as (key, initializer, initargs):
        return map_in_processes(
            partial(_call_with_state, fn), [(key, job) for job in jobs], workers, on_result=on_result,
            initializer=initializer, initargs=initargs, start_method=START_METHOD,
        )


def map_with_feedback(
    fn: Callable[[object, T], R],
    state: object,
    n_jobs: int,
    make_job: Callable[[int], T],
    workers: int,
    behind: int,
    on_result: Callable[[int, R], None],
) -> None:
    """map_with_state over jobs made one at a time, each knowing the results of the jobs well before it.

    Job i is made (``make_job(i)``, here) once the results of jobs 0 .. i - behind - 1,
    and only those, have been handed to ``on_result``, in job order: so a job can
    carry what the earlier results taught (say, what no longer needs looking
    for), the workers are kept busy meanwhile, and any number of workers makes
    the same jobs. One pool serves all the jobs.

    Args:
        fn: A module-level function of (state, job).
        state: What every job reads; it must not be changed by fn.
        n_jobs: How many jobs to make.
        make_job: Makes job i; called in job order.
        workers: Processes; 1 runs everything here (the jobs made alike).
        behind: How many of the latest jobs' results job i is made without;
            at least workers - 1 keeps every worker busy.
        on_result: Called here with (job index, result), in job order; the
            results are not kept otherwise (each can be let go once used).
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers!r}")
    if behind < 0:
        raise ValueError(f"behind must be >= 0, got {behind!r}")
    handed_on = 0
    pending: deque = deque()  # futures (or, with one worker, results) of the jobs made, in order

    def hand_on() -> None:
        nonlocal handed_on
        done = pending.popleft()
        on_result(handed_on, done.result() if isinstance(done, Future) else done)
        handed_on += 1

    with _shared(state) as (key, initializer, initargs), contextlib.ExitStack() as stack:
        pool = None
        if workers > 1 and n_jobs > 1:
            pool = stack.enter_context(_pool(min(workers, n_jobs), initializer, initargs, START_METHOD))
        for i in range(n_jobs):
            while handed_on < i - behind:
                hand_on()
            keyed_job = (key, make_job(i))
            if pool is None:
                pending.append(_call_with_state(fn, keyed_job))
            else:
                pending.append(pool.submit(_call_with_state, fn, keyed_job))
        while pending:
            hand_on()


@contextlib.contextmanager
def _shared(state: object):
    """Registers the state of one call for its workers; yields (key, initializer, initargs) for the pool.

    Forked workers find the state in _SHARED as set before the fork; spawned
    ones are handed it once, by the initializer. Released when the call ends.
    """
    key = next(_shared_keys)
    _SHARED[key] = state
    try:
        if START_METHOD == "fork":
            yield key, None, ()
        else:
            yield key, _receive_state, (key, state)
    finally:
        del _SHARED[key]


def _call_with_state(fn: Callable[[object, T], R], keyed_job: tuple[int, T]) -> R:
    key, job = keyed_job
    return fn(_SHARED[key], job)


def _receive_state(key: int, state: object) -> None:
    _SHARED[key] = state


def _collect(results, on_result) -> list:
    out = []
    for i, r in enumerate(results):
        out.append(r)
        if on_result is not None:
            on_result(i, r)
    return out


def release_free_memory() -> None:
    """Hands memory that Python, numpy and Arrow have freed back to the OS.

    glibc keeps freed heap pages (numpy arrays of up to 32 MB come from the
    heap once a larger one was freed) and Arrow's allocator keeps its own, so
    the garbage of one stage or step would otherwise stay resident under the
    next (on the 100 MB benchmark: ~250 MB after ingest, ~120 MB of it
    Arrow's). Called a few times per stage: each call takes some milliseconds.
    """
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc
            pass
    pa = sys.modules.get("pyarrow")
    if pa is not None:
        pa.default_memory_pool().release_unused()


def call_in_fresh_process(fn: Callable[..., R], /, *args, **kwargs) -> R:
    """Runs fn(*args, **kwargs) in a new spawned process and returns its result (or raises its error).

    For a step whose memory peak should not add to the caller's (the warehouse build: DuckDB
    may take its whole memory_limit): a spawned child starts from a bare interpreter, so its peak
    is its own; a forked one would also count the caller's pages. Costs a process start (~1 s).
    fn, its arguments and its result must pickle.
    """
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args, **kwargs).result()
