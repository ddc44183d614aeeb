"""Quality stage: plausibility flags on extracted values.

Takes the ``indicators`` and ``documents`` datasets and gives
``quality_flags``: one row per row that breaks a plausibility rule (a growth
rate of thousands of percent, a share above 100%, a year before 1949).

Plausibility is not an invariant. An invariant (unique keys, lineage that
resolves, offsets that match the text, accepted enum values) is a promise of
the pipeline's own code, checked by the warehouse's data tests, and a breach
fails the run. An implausible value is a fact read from a text that may be
misprinted or misread; on a national corpus a few are certain, and one must
never stop a build. So such rows are published, listed here with the rule
they break, counted in the run summary, and left out of the marts' series
unless the run is asked to keep them (``include_flagged``), the way dbt's
``severity: warn`` tests report without failing.

A negative growth rate, or an actual below its target, is valid data, not a
finding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from tasks.schemas import column_names

# The largest growth a yearly or period figure is believed at: FDI or a small
# base can double or triple in a year, but not grow tenfold (misread units,
# a level taken for a rate, or a typo do)
MAX_GROWTH_PCT = 1000.0
MIN_YEAR, MAX_YEAR = 1949, 2100


@dataclass(frozen=True)
class PlausibilityRule:
    """One rule: rows of ``dataset`` for which ``breaks`` is true get ``flag``."""

    dataset: str
    flag: str
    breaks: Callable[[pd.DataFrame], pd.Series]
    detail: Callable[[pd.DataFrame], pd.Series]


def _num(df: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_numeric(df[col], errors="coerce")


def _year_outside(s: pd.Series) -> pd.Series:
    return s.notna() & ((s < MIN_YEAR) | (s > MAX_YEAR))


def _date_year(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, errors="coerce").dt.year


RULES: tuple[PlausibilityRule, ...] = (
    PlausibilityRule(
        "indicators", "growth_rate_implausible",
        lambda d: (d["measure"] == "growth_pct") & ((_num(d, "value") < -100) | (_num(d, "value") > MAX_GROWTH_PCT)),
        lambda d: "growth_pct " + d["value"].astype(str) + f" outside [-100, {MAX_GROWTH_PCT:g}]",
    ),
    PlausibilityRule(
        "indicators", "share_outside_0_100",
        lambda d: (d["measure"] == "share_pct") & ((_num(d, "value") < 0) | (_num(d, "value") > 100)),
        lambda d: "share_pct " + d["value"].astype(str) + " outside [0, 100]",
    ),
    PlausibilityRule(
        "indicators", "negative_amount",
        lambda d: d["measure"].isin(["level", "per_capita", "count"]) & (_num(d, "value") < 0),
        lambda d: d["measure"] + " " + d["value"].astype(str) + " below 0",
    ),
    PlausibilityRule(
        "indicators", "year_implausible",
        lambda d: _year_outside(_num(d, "year")) | _year_outside(_num(d, "start_year")) | _year_outside(_num(d, "end_year")),
        lambda d: "years " + d["start_year"].astype(str) + "-" + d["year"].astype(str) + f" outside [{MIN_YEAR}, {MAX_YEAR}]",
    ),
    PlausibilityRule(
        "indicators", "period_reversed",
        lambda d: _num(d, "start_year") > _num(d, "end_year"),
        lambda d: "start_year " + d["start_year"].astype(str) + " after end_year " + d["end_year"].astype(str),
    ),
    PlausibilityRule(
        "plan_indicators", "year_implausible",
        lambda d: (_year_outside(_num(d, "baseline_year")) | _year_outside(_num(d, "target_year"))
                   | _year_outside(_num(d, "actual_year"))),
        lambda d: ("baseline/target/actual years " + d["baseline_year"].astype(str) + "/" + d["target_year"].astype(str)
                   + "/" + d["actual_year"].astype(str) + f" outside [{MIN_YEAR}, {MAX_YEAR}]"),
    ),
    PlausibilityRule(
        "plan_indicators", "period_reversed",
        lambda d: _num(d, "baseline_year") >= _num(d, "target_year"),
        lambda d: "baseline_year " + d["baseline_year"].astype(str) + " not before target_year " + d["target_year"].astype(str),
    ),
    PlausibilityRule(
        "documents", "year_implausible",
        lambda d: (_year_outside(_num(d, "year")) | _year_outside(_date_year(d["event_date"]))
                   | _year_outside(_date_year(d["publish_date"]))),
        lambda d: ("year " + d["year"].astype(str) + ", event_date " + d["event_date"].astype(str)
                   + ", publish_date " + d["publish_date"].astype(str) + f" outside [{MIN_YEAR}, {MAX_YEAR}]"),
    ),
)

FLAGS = tuple(sorted({r.flag for r in RULES}))
# the key a flag's row_id holds, per dataset
_ROW_IDS: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "indicators": lambda d: d["indicator_id"].astype(str),
    "documents": lambda d: d["doc_id"].astype(str),
    "plan_indicators": lambda d: d["doc_id"].astype(str) + ":" + d["para_id"].astype(str) + ":" + d["row_no"].astype(str),
}


def flag_implausible_values(datasets: dict[str, pd.DataFrame], rules: tuple[PlausibilityRule, ...] = RULES) -> pd.DataFrame:
    """Returns the quality_flags rows for the datasets' rows that break a rule.

    Args:
        datasets: Dataset name -> its rows (indicators, plan_indicators, documents); names without rules are ignored.
        rules: The plausibility rules to apply.

    Returns:
        One row per (flagged row, rule), in rule order, then the dataset's row order.
    """
    frames = []
    for rule in rules:
        df = datasets.get(rule.dataset)
        if df is None or df.empty:
            continue
        hit = rule.breaks(df).fillna(False).astype(bool)
        if not hit.any():
            continue
        rows = df[hit]
        frames.append(pd.DataFrame({
            "dataset": rule.dataset,
            "row_id": _ROW_IDS[rule.dataset](rows).to_numpy(),
            "doc_id": rows["doc_id"].astype(str).to_numpy(),
            "flag": rule.flag,
            "detail": rule.detail(rows).astype(str).to_numpy(),
        }))
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in column_names("quality_flags")})
    return pd.concat(frames, ignore_index=True)[column_names("quality_flags")]


def flag_counts(flags: pd.DataFrame) -> dict[str, int]:
    """Counts flags as ``{"<dataset>.<flag>": rows}``, sorted by key, for the run summary."""
    if flags.empty:
        return {}
    counts = flags.groupby(["dataset", "flag"]).size()
    return {f"{d}.{f}": int(n) for (d, f), n in sorted(counts.items())}
