"""Report: the warehouse's marts as one self-contained, offline HTML page.

Takes ``warehouse.duckdb`` and gives one HTML file with charts of indicator
timelines per region, plan targets against actuals, keyword trends and dedup
statistics per document, each followed by its numbers as a table. Charts are
matplotlib PNGs embedded as base64 data URIs, so the page needs no network, no
CDN and no companion files (the approach of matplotlib's "embedding in a web
application" example: render to an in-memory buffer, inline it in the page).

Chinese labels need a CJK font: :func:`cjk_font` picks the first installed
one among common families (WenQuanYi, Noto CJK, Source Han, ...; on Debian
``apt-get install fonts-wqy-microhei``); without one the page is still
written, with a warning in it, and matplotlib draws boxes for the Chinese.
"""

from __future__ import annotations

import base64
import html
import io
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

# families that cover simplified Chinese, most common on Linux first
CJK_FAMILIES = (
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "AR PL UMing CN",
    "AR PL UKai CN",
    "Droid Sans Fallback",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
)


@dataclass(frozen=True)
class ReportResult:
    """What write_report wrote: the page, its charts' names and the CJK font used (None if none)."""

    path: Path
    charts: list[str] = field(default_factory=list)
    font: str | None = None


def _register_bundled_cjk_font(font_manager) -> None:
    """Adds the Noto Sans CJK SC font shipped in the mplfonts wheel, if installed.

    A fresh machine with only Python has no CJK system font; mplfonts brings
    one through pip, so Chinese labels render without an apt step.
    """
    try:
        import mplfonts
    except ImportError:
        return
    path = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    if path.exists() and str(path) not in {f.fname for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(path))


def cjk_font() -> str | None:
    """Returns the family name of an installed font covering Chinese, or None."""
    from matplotlib import font_manager

    _register_bundled_cjk_font(font_manager)
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    for name in sorted(installed):
        if any(tag in name for tag in ("CJK", "WenQuanYi", "Han Sans", "Hei", "Ming")):
            return name
    return None


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _table(df: pd.DataFrame, max_rows: int = 40) -> str:
    if df.empty:
        return "<p class='empty'>no rows</p>"
    shown = df.head(max_rows)
    note = f"<p class='note'>first {max_rows} of {len(df)} rows</p>" if len(df) > max_rows else ""
    return shown.to_html(index=False, na_rep="", float_format=lambda v: f"{v:,.4g}", classes="data", border=0) + note


def _scaled(row) -> tuple[float, str]:
    # amounts in 元 are shown in 亿元, as the reports write them
    if row.base_unit == "元" and row.measure in ("level",) and pd.notna(row.value_base):
        return row.value_base / 1e8, "亿元"
    return row.value, row.unit if isinstance(row.unit, str) else ""


def _timeline_charts(con) -> list[tuple[str, str, pd.DataFrame]]:
    import matplotlib.pyplot as plt

    df = con.execute(
        """
        select region, metric_key, measure, year, start_year, value, unit, value_base, base_unit, status, has_disagreement
        from mart_indicator_timeline
        where year = start_year
        order by region, metric_key, measure, year
        """
    ).df()
    out = []
    if df.empty:
        return out
    series_sizes = df.groupby(["region", "metric_key", "measure"]).size()
    for region in df["region"].drop_duplicates():
        sizes = series_sizes.loc[region].sort_values(ascending=False, kind="mergesort")
        series = [s for s, n in sizes.items() if n >= 2][:6]
        if not series:
            continue
        ncols = 2 if len(series) > 1 else 1
        nrows = (len(series) + ncols - 1) // ncols
        fig, axes = plt.subplots(nrows, ncols, figsize=(6 * ncols, 3.2 * nrows), squeeze=False)
        for ax, (metric_key, measure) in zip(axes.flat, series):
            part = df[(df.region == region) & (df.metric_key == metric_key) & (df.measure == measure)]
            vals = [_scaled(r) for r in part.itertuples()]
            ys = [v for v, _ in vals]
            unit = next((u for _, u in vals if u), "")
            actual = part["status"].eq("actual").to_numpy()
            ax.plot(part["year"], ys, color="#888", linewidth=1, zorder=1)
            ax.scatter(part["year"][actual], [y for y, a in zip(ys, actual) if a], color="#1f77b4", label="实际 actual", zorder=2)
            ax.scatter(part["year"][~actual], [y for y, a in zip(ys, actual) if not a], facecolors="none",
                       edgecolors="#d62728", label="目标/预计 target", zorder=2)
            ax.set_title(f"{region} · {metric_key} ({measure})", fontsize=10)
            ax.set_ylabel(unit)
            ax.xaxis.get_major_locator().set_params(integer=True)
            ax.legend(fontsize=8)
        for ax in list(axes.flat)[len(series):]:
            ax.axis("off")
        fig.suptitle(f"{region} 指标时间线", fontsize=12)
        fig.tight_layout()
        out.append((f"timeline-{region}", _png(fig), df[df.region == region]))
    return out


def _plan_chart(con) -> tuple[str | None, pd.DataFrame]:
    import matplotlib.pyplot as plt

    df = con.execute(
        """
        select region, metric, year, target_value, target_unit, target_qualifier, actual_value, attainment
        from mart_plan_vs_actual
        order by attainment is null, region, year, metric
        """
    ).df()
    with_ratio = df[df["attainment"].notna()]
    if with_ratio.empty:
        return None, df
    labels = [f"{r.region} {r.year} {r.metric}" for r in with_ratio.itertuples()]
    ratios = with_ratio["attainment"].clip(upper=3).to_numpy()
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(labels) + 1.2))
    colors = ["#2ca02c" if v >= 1 else "#ff7f0e" for v in ratios]
    ax.barh(range(len(labels)), ratios, color=colors)
    ax.axvline(1.0, color="#333", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("完成度 attainment = 实际 / 目标 (capped at 3)")
    ax.set_title("规划目标与实际 plan targets vs actuals")
    fig.tight_layout()
    return _png(fig), df


def _keyword_chart(con) -> tuple[str | None, pd.DataFrame]:
    import matplotlib.pyplot as plt

    df = con.execute(
        """
        with multi_year as (
            select region from mart_keyword_trends group by region having count(distinct year) >= 2
        ),
        top_terms as (
            select region, term, sum(count) as total,
                row_number() over (partition by region order by sum(count) desc, term) as rn
            from mart_keyword_trends
            where region in (select region from multi_year) and len(term) >= 2
            group by region, term
        )
        select k.region, k.year, k.term, k.count, k.per_10k_chars
        from mart_keyword_trends as k
        inner join top_terms as t using (region, term)
        where t.rn <= 8
        order by k.region, k.term, k.year
        """
    ).df()
    if df.empty:
        return None, df
    regions = list(df["region"].drop_duplicates())
    fig, axes = plt.subplots(len(regions), 1, figsize=(9, 3.6 * len(regions)), squeeze=False)
    for ax, region in zip(axes.flat, regions):
        part = df[df.region == region]
        for term, g in part.groupby("term", sort=False):
            ax.plot(g["year"], g["per_10k_chars"], marker="o", label=term)
        ax.set_title(f"{region} 关键词趋势 (每万字出现次数)", fontsize=10)
        ax.set_ylabel("per 10,000 chars")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=8, ncol=4)
    fig.tight_layout()
    return _png(fig), df


def _dedup_chart(con) -> tuple[str | None, pd.DataFrame]:
    import matplotlib.pyplot as plt

    df = con.execute(
        """
        select title, region, year, doc_type, paragraphs_total, paragraphs_kept, paragraphs_dropped,
            duplicate_ratio, n_tokens, n_indicators, is_duplicate
        from mart_documents
        order by doc_date nulls last, doc_id
        """
    ).df()
    if df.empty:
        return None, df
    labels = [(t if len(t) <= 22 else t[:21] + "…") for t in df["title"].fillna("(untitled)")]
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(df) + 1.2))
    y = range(len(df))
    ax.barh(y, df["paragraphs_kept"], color="#1f77b4", label="保留 kept")
    ax.barh(y, df["paragraphs_dropped"], left=df["paragraphs_kept"], color="#d62728", label="重复 duplicate")
    ax.set_yticks(list(y), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("段落数 paragraphs")
    ax.set_title("每篇文档的去重统计 dedup per document")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _png(fig), df


_CSS = """
body { font-family: 'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif;
       margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
img.chart { max-width: 100%; display: block; margin: 1em 0; border: 1px solid #eee; }
table.data { border-collapse: collapse; font-size: .85em; margin: .5em 0 1em; }
table.data th, table.data td { border: 1px solid #ddd; padding: .2em .5em; text-align: left; }
table.data th { background: #f4f4f4; }
.warn { background: #fff3cd; padding: .5em; } .note, .empty { color: #666; font-size: .85em; }
"""


def write_report(db_path: Path | str, html_path: Path | str) -> ReportResult:
    """Writes the HTML report of a built warehouse.

    Args:
        db_path: The warehouse DuckDB file (opened read-only).
        html_path: Where to write the page (written beside it, then renamed into place).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = cjk_font()
    rc = {"axes.unicode_minus": False}
    if font:
        rc["font.family"] = [font, "DejaVu Sans"]
    html_path = Path(html_path)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        with plt.rc_context(rc), warnings.catch_warnings():
            # without a CJK font matplotlib warns once per missing glyph; the page says it once
            warnings.simplefilter("ignore", UserWarning)
            timelines = _timeline_charts(con)
            plan_png, plan_df = _plan_chart(con)
            kw_png, kw_df = _keyword_chart(con)
            dedup_png, dedup_df = _dedup_chart(con)
        n_docs = con.execute("select count(*) from mart_documents").fetchone()[0]
        n_ind = con.execute("select count(*) from mart_indicator_timeline").fetchone()[0]
        top_kw = con.execute(
            "select region, year, string_agg(term, '、' order by rank_in_region_year, term) as top_terms "
            "from mart_keyword_trends where rank_in_region_year <= 10 group by region, year order by region, year"
        ).df()
    finally:
        con.close()

    charts: list[str] = []
    parts = [
        "<!DOCTYPE html>",
        "<html lang='zh-CN'><head><meta charset='utf-8'>",
        "<title>govreports 报告</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>govreports 报告 · run report</h1>",
        f"<p>{n_docs} documents, {n_ind} indicator timeline rows. Source: <code>{html.escape(str(db_path))}</code></p>",
    ]
    if not font:
        parts.append("<p class='warn'>No CJK font installed: Chinese chart labels may show as boxes "
                     "(Debian: <code>apt-get install fonts-wqy-microhei</code>).</p>")

    def chart(name: str, uri: str, alt: str) -> None:
        charts.append(name)
        parts.append(f"<img class='chart' id='{html.escape(name)}' alt='{html.escape(alt)}' src='{uri}'>")

    parts.append("<h2>指标时间线 Indicator timelines per region</h2>")
    parts.append("<p>Filled dots: actual values; open dots: targets or forecasts (mart_indicator_timeline, one-year values).</p>")
    if not timelines:
        parts.append("<p class='empty'>no region has two years of one metric</p>")
    for name, uri, df in timelines:
        chart(name, uri, f"timeline {name}")
        parts.append(_table(df, max_rows=25))
    parts.append("<h2>规划目标与实际 Plan targets vs actuals</h2>")
    if plan_png:
        chart("plan-vs-actual", plan_png, "plan targets vs actuals")
    parts.append(_table(plan_df, max_rows=60))
    parts.append("<h2>关键词趋势 Keyword trends</h2>")
    if kw_png:
        chart("keyword-trends", kw_png, "keyword trends")
    parts.append(_table(top_kw, max_rows=60))
    parts.append("<h2>去重统计 Dedup per document</h2>")
    if dedup_png:
        chart("dedup-per-document", dedup_png, "dedup per document")
    parts.append(_table(dedup_df, max_rows=200))
    parts.append("</body></html>")

    html_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = html_path.with_name(f".{html_path.name}.tmp-{os.getpid()}")
    tmp.write_text("\n".join(parts), encoding="utf-8")
    os.replace(tmp, html_path)
    return ReportResult(path=html_path, charts=charts, font=font)
