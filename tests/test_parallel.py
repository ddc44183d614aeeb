"""Process pools: results in job order, in-process when asked for one worker, isolation on request."""

from __future__ import annotations

import os

from tasks import parallel
from tasks.parallel import map_in_processes, map_with_state


def _pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def test_results_come_in_job_order_from_worker_processes():
    out = map_in_processes(_pid_and_square, list(range(7)), workers=2)
    assert [sq for _, sq in out] == [x * x for x in range(7)]
    assert all(pid != os.getpid() for pid, _ in out)


def test_one_job_runs_here_unless_isolated():
    [(pid, _)] = map_in_processes(_pid_and_square, [3], workers=2)
    assert pid == os.getpid()
    [(pid, sq)] = map_in_processes(_pid_and_square, [3], workers=2, isolate=True)
    assert pid != os.getpid() and sq == 9
    # one worker asked for: no pool, even when isolated
    [(pid, _)] = map_in_processes(_pid_and_square, [3], workers=1, isolate=True)
    assert pid == os.getpid()
    assert map_in_processes(_pid_and_square, [], workers=2, isolate=True) == []


def _pid_and_state_row(state: list[int], i: int) -> tuple[int, int]:
    return os.getpid(), state[i]


def test_the_state_reaches_every_job_in_forked_and_spawned_workers(monkeypatch):
    state = [10 * i for i in range(9)]
    for method in ("fork", "spawn"):
        monkeypatch.setattr(parallel, "START_METHOD", method)
        out = map_with_state(_pid_and_state_row, state, list(range(9))[::-1], workers=2)
        assert [v for _, v in out] == state[::-1]
        assert all(pid != os.getpid() for pid, _ in out)
    assert parallel._SHARED == {}  # released after each call
    # one worker: here, with the same results
    assert [v for _, v in map_with_state(_pid_and_state_row, state, [2, 0], workers=1)] == [20, 0]


def _pid_and_job(state: list[int], job: tuple[int, int]) -> tuple[int, int]:
    i, known = job
    return os.getpid(), state[i] + known


def test_feedback_jobs_are_made_from_the_results_well_before_them_whatever_the_workers(monkeypatch):
    from tasks.parallel import map_with_feedback

    state = [100 * i for i in range(8)]
    for method, workers in (("fork", 1), ("fork", 2), ("spawn", 2)):
        monkeypatch.setattr(parallel, "START_METHOD", method)
        seen: list[int] = []  # job indices handed to on_result, in order
        made: list[tuple[int, int]] = []  # (job, results handed on when it was made)

        def make_job(i: int) -> tuple[int, int]:
            made.append((i, len(seen)))
            return i, len(seen)

        out: list[tuple[int, int]] = []
        map_with_feedback(_pid_and_job, state, 8, make_job, workers, 2,
                          lambda i, r: seen.append(i) or out.append(r))
        # job i is made once the results of jobs 0 .. i-3 are in, and no later one
        assert made == [(i, max(0, i - 2)) for i in range(8)]
        assert seen == list(range(8)) and [v for _, v in out] == [100 * i + max(0, i - 2) for i in range(8)]
        assert all((pid != os.getpid()) == (workers > 1) for pid, _ in out)
    assert parallel._SHARED == {}
