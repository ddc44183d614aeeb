"""prefect.yaml's deployments point at the real flow with parameters it accepts."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


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
