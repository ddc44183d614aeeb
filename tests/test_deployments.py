"""prefect.yaml's deployments point at the real flow with parameters it accepts."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SEED = "001_1e31c7665ded58fb.txt"


def load_deployments():
    return yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]


def test_every_deployment_entrypoint_and_parameter_resolves():
    deployments = load_deployments()
    assert {d["name"] for d in deployments} == {"daily-incremental", "full-rebuild"}
    for dep in deployments:
        path, func = dep["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, func)
        signature = inspect.signature(flow.fn)
        unknown = set(dep["parameters"]) - set(signature.parameters)
        assert not unknown, f"{dep['name']}: parameters {unknown} are not arguments of {func}"
        # Prefect validates parameters against the flow's types at run time: check the same here
        flow.validate_parameters(dep["parameters"])
        assert dep["work_pool"]["name"] == "govreports-process"


def test_daily_deployment_is_scheduled_and_incremental():
    daily = next(d for d in load_deployments() if d["name"] == "daily-incremental")
    assert daily["schedules"][0]["cron"] == "0 6 * * *"
    assert daily["parameters"]["full_rebuild"] is False


@pytest.mark.flow
@pytest.mark.slow
def test_readme_scheduled_run_steps_complete_a_flow_run_through_a_worker(tmp_path):
    """README "Scheduled runs", as written: server, work pool, deploy --all, worker, deployment run."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("prefect.yaml", "flows", "tasks", "warehouse"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, project / name)
    # one seed report is input enough to see a run complete (all five cost ~5 s more)
    (project / "seeds").mkdir()
    shutil.copy(ROOT / "seeds" / SEED, project / "seeds" / SEED)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect_home"), PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1", PYTHONPATH=str(project),
               # the worker asks for scheduled runs every 10 s by default: up to 10 s idle before the run
               PREFECT_WORKER_QUERY_SECONDS="1",
               PWD=str(project))  # prefect.yaml resolves {{ $PWD }}, as a shell sets it after cd
    (tmp_path / "prefect_home").mkdir()
    prefect = str(Path(sys.executable).with_name("prefect"))

    def prefect_cmd(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        result = subprocess.run([prefect, *args], cwd=project, env=env, capture_output=True, text=True,
                                timeout=timeout, stdin=subprocess.DEVNULL)
        assert result.returncode == 0, f"prefect {' '.join(args)}:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        return result

    started = []
    try:
        started.append(background([prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                  project, env, tmp_path / "server.log"))
        wait_for_health(f"http://127.0.0.1:{port}/api/health", started[0], tmp_path / "server.log")
        prefect_cmd("work-pool", "create", "govreports-process", "--type", "process")
        # the worker only needs its pool: it starts up (~5 s) while the deployments are made
        started.append(background([prefect, "worker", "start", "--pool", "govreports-process"],
                                  project, env, tmp_path / "worker.log"))
        prefect_cmd("deploy", "--all")
        # what `prefect deployment ls` lists, asked of the API (a CLI call costs ~4 s of imports)
        assert deployment_names(env["PREFECT_API_URL"]) == {"govreports/daily-incremental", "govreports/full-rebuild"}
        run = prefect_cmd("deployment", "run", "govreports/full-rebuild", "--watch", timeout=400)
        assert "Completed" in run.stdout, run.stdout[-2000:]
    finally:
        # the worker first, then the server. The run is over, and a worker told to stop often hangs
        # in its shutdown (for good once its server is gone): each gets 5 s, then is killed
        for proc in reversed(started):
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    data = project / "data"
    assert (data / "warehouse.duckdb").is_file() and (data / "report.html").is_file()
    assert list((data / "parquet" / "documents").glob("*.parquet"))


def deployment_names(api_url: str) -> set[str]:
    """``<flow>/<deployment>`` of every deployment the server holds."""

    def read(kind: str) -> list[dict]:
        request = urllib.request.Request(f"{api_url}/{kind}/filter", data=b"{}",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.load(resp)

    flows = {f["id"]: f["name"] for f in read("flows")}
    return {f"{flows[d['flow_id']]}/{d['name']}" for d in read("deployments")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def background(cmd: list[str], cwd: Path, env: dict, log: Path) -> subprocess.Popen:
    # a process group of its own, so stopping it also stops the flow-run processes it started
    return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def wait_for_health(url: str, server: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"prefect server exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"prefect server not healthy after {timeout} s:\n{log.read_text()[-3000:]}")
