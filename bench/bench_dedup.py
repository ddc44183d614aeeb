"""Benchmarks clean + dedup on a generated corpus with planted duplicates.

Takes a corpus folder written by ``bench/make_corpus.py`` (generating one of
``--mb`` MB first when the folder has none) and reports recall on planted
duplicates per label, false drops of planted unique paragraphs, throughput
(MB/s of input text) and the peak resident memory of the process.

    .venv/bin/python bench/bench_dedup.py --corpus /tmp/govreports_bench --mb 20
"""

from __future__ import annotations

import argparse
import csv
import resource
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tasks.clean import clean_paragraphs, normalize_text  # noqa: E402
from tasks.dedup import dedup_corpus, dedup_key  # noqa: E402
from tasks.ingest import ingest_folder  # noqa: E402

csv.field_size_limit(sys.maxsize)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(corpus: Path, workers: int = 1) -> dict[str, float]:
    """Runs ingest, clean and dedup over corpus/docs and scores them against corpus/truth.csv.

    Args:
        corpus: Folder holding ``docs/`` and ``truth.csv``.
        workers: Processes dedup may use.

    Returns:
        Measurements: sizes, timings, MB/s, peak RSS, recall per label, false drops.
    """
    docs_dir = corpus / "docs"
    n_bytes = sum(p.stat().st_size for p in docs_dir.glob("*.txt"))
    mb = n_bytes / 1024 / 1024
    rss0 = peak_rss_mb()

    t0 = time.perf_counter()
    ing = ingest_folder(docs_dir)
    t1 = time.perf_counter()
    cleaned = clean_paragraphs(ing.paragraphs)
    t2 = time.perf_counter()
    cpu0 = time.process_time()
    res = dedup_corpus(ing.documents, cleaned.paragraphs, workers=workers)
    dedup_cpu = time.process_time() - cpu0
    t3 = time.perf_counter()
    rss = peak_rss_mb()

    # truth rows by (file, key); several rows can share one (an exact copy in the same file)
    truth: dict[tuple[str, str], list[str]] = defaultdict(list)
    heads: dict[str, str] = {}
    with open(corpus / "truth.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            truth[(row["file"], dedup_key(normalize_text(row["text"])))].append(row["label"])
            if row["label"] == "cut_head":
                heads[f"{row['file']}#{row['para_index']}"] = row["text"]
            elif row["label"] == "cut_tail":
                # the paragraph cleaning should rebuild from the two pieces
                joined = heads[row["sources"]] + row["text"]
                truth[(row["file"], dedup_key(normalize_text(joined)))].append("cut_joined")
    n_truth = Counter(label for labels in truth.values() for label in labels)

    file_of = dict(zip(res.documents["doc_id"], res.documents["source_file"]))
    hits: Counter = Counter()  # (label, is_duplicate) -> paragraphs
    unmatched = 0
    skipped_kind = 0  # planted text ingest typed heading/byline: never deduplicated by design
    p = res.paragraphs
    for doc_id, kind, text, dup in zip(p["doc_id"], p["kind"], p["text"], p["is_duplicate"]):
        labels = truth.get((Path(file_of[doc_id]).name, dedup_key(text)))
        if not labels:
            if kind == "body":
                unmatched += 1
            continue
        label = labels.pop(0)
        if kind not in ("body", "caption"):
            skipped_kind += 1
            continue
        hits[(label, bool(dup))] += 1

    out: dict[str, float] = {
        "input_mb": round(mb, 2),
        "documents": len(res.documents),
        "paragraphs": len(p),
        "ingest_s": round(t1 - t0, 2),
        "clean_s": round(t2 - t1, 2),
        "dedup_s": round(t3 - t2, 2),
        "dedup_cpu_s": round(dedup_cpu, 2),  # this process only, not its workers'
        "dedup_workers": workers,
        "clean_dedup_mb_per_s": round(mb / (t3 - t1), 2),
        "end_to_end_mb_per_s": round(mb / (t3 - t0), 2),
        "peak_rss_mb": round(rss, 1),
        "rss_before_mb": round(rss0, 1),
        "joins": cleaned.stats["joins"],
        "unmatched_body_paragraphs": unmatched,
        "not_body_or_caption": skipped_kind,
    }
    planted = ["exact", "fragment", "splice", "doc_copy"]
    caught = total = 0
    for label in planted:
        got = hits[(label, True)]
        seen = got + hits[(label, False)]
        caught += got
        total += seen
        out[f"recall_{label}"] = round(got / seen, 4) if seen else float("nan")
        out[f"planted_{label}"] = n_truth[label]
        out[f"matched_{label}"] = seen
    out["recall"] = round(caught / total, 4) if total else float("nan")
    out["false_drops"] = hits[("unique", True)] + hits[("cut_joined", True)]
    out["cut_pairs_planted"] = n_truth["cut_joined"]
    out["cut_pairs_joined"] = hits[("cut_joined", False)] + hits[("cut_joined", True)]
    out["cut_pieces_left_apart"] = hits[("cut_head", False)] + hits[("cut_tail", False)]
    out["uniques_matched"] = hits[("unique", True)] + hits[("unique", False)]
    out["uniques_planted"] = n_truth["unique"]
    out.update({f"stat_{k}": v for k, v in res.stats.items()})
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=Path("/tmp/govreports_bench"))
    ap.add_argument("--mb", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1, help="processes dedup may use")
    args = ap.parse_args(argv)
    if not (args.corpus / "truth.csv").exists():
        # generated in a child process so its memory does not count as ours
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "make_corpus.py"), "--out", str(args.corpus),
             "--mb", str(args.mb), "--seed", str(args.seed)],
            check=True,
        )
    for k, v in run(args.corpus, args.workers).items():
        print(f"{k:28s} {v}")


if __name__ == "__main__":
    main()
