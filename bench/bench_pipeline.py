"""End-to-end benchmark: the real flow on generated corpora of N MB.

For each size it generates a corpus from the seeds (bench/make_corpus.py:
perturbed sentences, numbers and names, planted duplicates; deterministic),
then runs ``govreports run`` as a subprocess against one Prefect server the
benchmark starts (so the server's start-up is not counted), once per worker
count, and once more with nothing changed. It prints per-stage MB/s, end-to-end
MB/s, peak RSS of the pipeline process tree (the Prefect server excluded), the
no-change re-run time, and the ratios of end-to-end and segment-stage
throughput to two baselines measured in this run on a sample of the same text:
raw ``jieba.lcut`` (Python jieba) and raw ``rjieba.cut`` (jieba-rs, the engine
the segment stage runs: the compiled floor). The machine's speed drifts (a
shared VM: jieba.lcut alone varies by ±20% between minutes), so the baselines
are measured right before and right after each flow run and the ratios use
their mean; both are printed.

    .venv/bin/python bench/bench_pipeline.py --mb 20 100 --workers 1 2

Not a test: it takes minutes (about 0.1-0.2 MB/s end to end on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_prefect_server(home: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    """Starts `prefect server start` on a free loopback port; returns it and the env to reach it."""
    port = free_port()
    env = dict(os.environ, PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    log = open(home / "server.log", "w")
    proc = subprocess.Popen(
        [str(VENV_BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/api"
    for _ in range(240):
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("prefect server did not start; see " + str(home / "server.log"))
    return proc, dict(env, PREFECT_API_URL=url)


def baseline_mb_per_s(docs_dir: Path, sample_mb: float) -> tuple[float, float, float]:
    """Raw jieba.lcut and rjieba.cut throughput (MB/s, one process, dictionary preloaded) on a sample of the corpus.

    Returns:
        (jieba MB/s, rjieba MB/s, sample MB).
    """
    import jieba
    import rjieba

    jieba.setLogLevel(60)
    jieba.initialize()
    rjieba.cut("预热")  # its default dictionary is jieba's dict.txt, loaded on import
    text_parts, size = [], 0
    for path in sorted(docs_dir.rglob("*.txt")):
        data = path.read_text(encoding="utf-8")
        text_parts.append(data)
        size += len(data.encode("utf-8"))
        if size >= sample_mb * 1e6:
            break
    lines = [line for line in "".join(text_parts).split("\n") if line]
    t0 = time.perf_counter()
    for line in lines:
        jieba.lcut(line)
    t1 = time.perf_counter()
    for line in lines:
        rjieba.cut(line)
    t2 = time.perf_counter()
    return size / 1e6 / (t1 - t0), size / 1e6 / (t2 - t1), size / 1e6


def run_pipeline(docs_dir: Path, out: Path, workers: int, env: dict[str, str], full: bool) -> tuple[dict, float, float]:
    """Runs `govreports run` in a child; returns its summary, wall seconds and peak RSS (MB) of the tree."""
    summary_file = out.parent / f"{out.name}.summary.json"
    cmd = [str(VENV_BIN / "govreports"), "run", "--input", str(docs_dir), "--out", str(out), "--workers", str(workers),
           "--summary-json", str(summary_file)]
    if full:
        cmd.append("--full-rebuild")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise RuntimeError(f"pipeline failed ({status}): {proc.stderr.read()[-3000:]}")
    # ru_maxrss of wait4 is the largest single process of the child's tree (segmentation workers included)
    peak_mb = max(usage.ru_maxrss, 0) / 1024
    return json.loads(summary_file.read_text(encoding="utf-8")), wall, peak_mb


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, nargs="+", default=[20.0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--sample-mb", type=float, default=4.0, help="text for the jieba.lcut baseline")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    from bench.make_corpus import make_corpus

    args.out.mkdir(parents=True, exist_ok=True)
    home = args.out / "prefect_home"
    home.mkdir(exist_ok=True)
    server, env = start_prefect_server(home)
    rows = []
    try:
        for mb in args.mb:
            corpus = args.out / f"corpus_{mb:g}mb"
            if not (corpus / "docs").is_dir():
                t0 = time.perf_counter()
                make_corpus(ROOT / "seeds", corpus, target_mb=mb, seed=args.seed)
                print(f"generated {mb:g} MB corpus in {time.perf_counter() - t0:.0f}s", flush=True)
            docs = corpus / "docs"
            input_mb = sum(p.stat().st_size for p in docs.rglob("*") if p.is_file()) / 1e6
            for w in args.workers:
                out = args.out / f"run_{mb:g}mb_w{w}"
                shutil.rmtree(out, ignore_errors=True)
                before, r_before, sample = baseline_mb_per_s(docs, args.sample_mb)
                summary, wall, peak = run_pipeline(docs, out, w, env, full=True)
                after, r_after, _ = baseline_mb_per_s(docs, args.sample_mb)
                jieba_rate = (before + after) / 2
                rjieba_rate = (r_before + r_after) / 2
                print(f"[{mb:g} MB, {w} worker(s)] on a {sample:.1f} MB sample: jieba.lcut {before:.3f} MB/s before "
                      f"the run, {after:.3f} after; rjieba.cut {r_before:.2f} / {r_after:.2f}", flush=True)
                again, again_wall, _ = run_pipeline(docs, out, w, env, full=False)
                flow_s = summary["seconds"]
                seg_s = summary["stage_seconds"].get("segment") or float("nan")
                row = dict(
                    mb=round(input_mb, 1), workers=w, flow_s=round(flow_s, 1), wall_s=round(wall, 1),
                    e2e_mb_s=round(input_mb / flow_s, 3), jieba_mb_s=round(jieba_rate, 3),
                    jieba_before_after=[round(before, 3), round(after, 3)],
                    ratio=round(input_mb / flow_s / jieba_rate, 2), rjieba_mb_s=round(rjieba_rate, 2),
                    rjieba_before_after=[round(r_before, 2), round(r_after, 2)],
                    ratio_rjieba=round(input_mb / flow_s / rjieba_rate, 3),
                    # the segment stage per worker, against the single-process baselines
                    segment_mb_s_per_worker=round(input_mb / seg_s / w, 2),
                    segment_ratio=round(input_mb / seg_s / w / jieba_rate, 2),
                    segment_ratio_rjieba=round(input_mb / seg_s / w / rjieba_rate, 3),
                    peak_rss_mb=round(peak),
                    nochange_flow_s=round(again["seconds"], 2), nochange_wall_s=round(again_wall, 1),
                    stages={k: round(input_mb / v, 2) if v > 0 else None for k, v in summary["stage_seconds"].items()},
                    stage_seconds=summary["stage_seconds"],
                )
                rows.append(row)
                print(json.dumps(row, ensure_ascii=False), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print("\n| MB | workers | flow s | end-to-end MB/s | × jieba.lcut | × rjieba.cut | segment MB/s per worker "
          "| segment × jieba.lcut | segment × rjieba.cut | jieba.lcut / rjieba.cut MB/s | peak RSS MB "
          "| no-change re-run s (flow / wall) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['mb']} | {r['workers']} | {r['flow_s']} | {r['e2e_mb_s']} | {r['ratio']}x | {r['ratio_rjieba']}x | "
              f"{r['segment_mb_s_per_worker']} | {r['segment_ratio']}x | {r['segment_ratio_rjieba']}x | "
              f"{r['jieba_mb_s']} / {r['rjieba_mb_s']} | {r['peak_rss_mb']} | {r['nochange_flow_s']} / {r['nochange_wall_s']} |")
    print("\nper-stage MB/s (input MB / stage seconds):")
    for r in rows:
        print(f"  {r['mb']} MB, {r['workers']} worker(s): " + ", ".join(f"{k} {v}" for k, v in r["stages"].items()))
    (args.out / "results.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
