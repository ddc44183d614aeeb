"""Report: the warehouse's marts as one self-contained, offline HTML page.

Takes ``warehouse.duckdb`` and gives one HTML file with charts of indicator
timelines per region, plan targets against actuals, keyword trends, dedup
statistics per document, topic intensity (regions x years heat maps) and target
amplification across government levels (with a coverage line counting the
targets whose parent target is missing), each followed by its numbers as a table. Charts are
matplotlib PNGs embedded as base64 data URIs, so the page needs no network, no
CDN and no companion files (the approach of matplotlib's "embedding in a web
application" example: render to an in-memory buffer, inline it in the page).

The marts are queried here; the charts are drawn in a small process pool
(forked on Linux; one job per figure, see :func:`_render_charts`), or in this
process with one CPU or when no pool can start. A job draws the same pixels
wherever it runs, so the page is byte-identical either way.

Chinese labels need a CJK font: :func:`cjk_font` picks the first installed
one among common families (WenQuanYi, Noto CJK, Source Han, ...; on Debian
``apt-get install fonts-wqy-microhei``); without one the page is still
written, with a warning in it, and matplotlib draws boxes for the Chinese.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import html
import io
import os
import threading
import warnings
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from tasks.parallel import map_in_processes

_DPI = 100

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


_BUNDLED_FAMILY = "Noto Sans CJK SC"


def _bundled_cjk_font_path() -> Path | None:
    """The Noto Sans CJK SC font shipped in the mplfonts wheel, if installed.

    A fresh machine with only Python has no CJK system font; mplfonts brings
    one through pip, so Chinese labels render without an apt step. Found by its
    file path (``importlib.util.find_spec``), without importing mplfonts.
    """
    import importlib.util

    try:
        spec = importlib.util.find_spec("mplfonts")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "fonts" / "NotoSansCJKsc-Regular.otf"
        if path.exists():
            return path
    return None


def _pick_family(names) -> str | None:
    for family in CJK_FAMILIES:
        if family in names:
            return family
    for name in sorted(names):
        if any(tag in name for tag in ("CJK", "WenQuanYi", "Han Sans", "Hei", "Ming")):
            return name
    return None


@functools.lru_cache(maxsize=1)
def _cjk_font_entry() -> tuple[str, str] | None:
    """(family, font file) of the CJK font the charts use, or None; looked up once per process.

    The choice is the same as registering the bundled font first and then
    taking the first of CJK_FAMILIES installed, but the 16 MB bundled OTF is
    only parsed (``addfont``) when it is the one chosen, and matplotlib's font
    list is scanned once, not per call.
    """
    from matplotlib import font_manager

    files: dict[str, str] = {}
    for entry in font_manager.fontManager.ttflist:
        files.setdefault(entry.name, entry.fname)
    best = _pick_family(files)
    bundled = _bundled_cjk_font_path()
    bundled_rank = CJK_FAMILIES.index(_BUNDLED_FAMILY)
    wins = best is None or best not in CJK_FAMILIES or CJK_FAMILIES.index(best) > bundled_rank
    if bundled is not None and wins and files.get(_BUNDLED_FAMILY) is None:
        font_manager.fontManager.addfont(str(bundled))
        for entry in font_manager.fontManager.ttflist:
            files.setdefault(entry.name, entry.fname)
        best = _pick_family(files)
    return (best, files[best]) if best else None


EMBEDDED_FAMILY = "govreports-cjk"


def embedded_font_css(text: str) -> str:
    """An @font-face rule embedding the chart font, cut to the characters of ``text``.

    The charts are PNGs with the CJK font drawn in, but headings and table cells
    are text, and a browser without a CJK system font shows them as boxes. The
    subset (fontTools, matplotlib's own dependency) holds only the page's non-ASCII
    characters: ~30 kB for a report, so the page stays self-contained and small.
    Empty when no CJK font file is found or the page has no such characters.
    """
    entry = _cjk_font_entry()
    chars = sorted({ord(c) for c in text if ord(c) > 127})
    if entry is None or not chars:
        return ""
    data = _font_subset(entry[1], tuple(chars))
    return (f"@font-face {{ font-family: '{EMBEDDED_FAMILY}'; "
            f"src: url(data:font/otf;base64,{base64.b64encode(data).decode('ascii')}) format('opentype'); }}\n")


@functools.lru_cache(maxsize=4)
def _font_subset(path: str, codepoints: tuple[int, ...]) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    opts = subset.Options()
    opts.hinting = False
    opts.layout_features = []
    opts.name_IDs = [1, 2]
    # the font's own timestamp, not now: the same page gives the same bytes
    font = TTFont(path, recalcTimestamp=False, lazy=True)
    subsetter = subset.Subsetter(opts)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def cjk_font() -> str | None:
    """Returns the family name of an installed font covering Chinese, or None."""
    entry = _cjk_font_entry()
    return entry[0] if entry else None


def _figure(figsize):
    """A figure on an Agg canvas of its own (no pyplot: nothing to close, no global figure registry)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=_DPI)
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> str:
    """The figure as a PNG data URI: one draw, at the figure's own dpi.

    The margins are already set (_layout), so there is no tight_layout and no
    bbox_inches="tight" (each one more pass over every text only to measure it).
    Saved as RGB (the background is opaque) at zlib level 3: about half the
    encoding time of matplotlib's RGBA at level 6, and a smaller file.
    """
    from PIL import Image

    fig.canvas.draw()
    rgba = fig.canvas.buffer_rgba()
    height, width = rgba.shape[:2]
    # PIL's own RGBA -> RGB conversion: the same pixels as slicing the array, without a strided copy
    rgb = Image.frombuffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1).convert("RGB")
    buf = io.BytesIO()
    rgb.save(buf, format="png", compress_level=3)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _table(df: pd.DataFrame, max_rows: int = 40) -> str:
    if df.empty:
        return "<p class='empty'>no rows</p>"
    shown = df.head(max_rows)
    note = f"<p class='note'>first {max_rows} of {len(df)} rows</p>" if len(df) > max_rows else ""
    return shown.to_html(index=False, na_rep="", float_format=lambda v: f"{v:,.4g}", classes="data", border=0) + note


def _text_inches(text: str, size_pt: float) -> float:
    """Estimated width of one line of text: CJK and other wide characters one em, the rest 0.62 em.

    Generous on purpose: it sets the margins instead of ``tight_layout``, which
    would lay out every tick label once more only to measure it (about a third
    of a chart's rendering time).
    """
    ems = sum(1.0 if ord(c) >= 0x2E80 else 0.62 for c in text)
    return ems * size_pt / 72


def _tick_labels(axis) -> list[str]:
    # the labels the axis will draw, from its locator and formatter (no text layout)
    lo, hi = sorted(axis.get_view_interval())
    locs = [v for v in axis.get_major_locator()() if lo - 1e-9 * abs(hi - lo) <= v <= hi + 1e-9 * abs(hi - lo)]
    return [s for s in axis.get_major_formatter().format_ticks(locs) if s]


def _ytick_inches(ax, size_pt: float = 10) -> float:
    return max((_text_inches(s, size_pt) for s in _tick_labels(ax.yaxis)), default=0.0)


def _layout(fig, nrows: int, ncols: int, *, left: float, right: float, top: float, bottom: float,
            wgap: float = 0.0, hgap: float = 0.0) -> None:
    """Places a grid of subplots by margins and gaps given in inches (instead of tight_layout)."""
    width, height = fig.get_size_inches()
    cell_w = (width - left - right - (ncols - 1) * wgap) / ncols
    cell_h = (height - top - bottom - (nrows - 1) * hgap) / nrows
    fig.subplots_adjust(
        left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height,
        wspace=wgap / cell_w if ncols > 1 and cell_w > 0 else 0.2,
        hspace=hgap / cell_h if nrows > 1 and cell_h > 0 else 0.2,
    )


def _scaled(row) -> tuple[float, str]:
    # amounts of money are shown in 亿元 / 亿美元, as the reports mostly write them: one
    # series states 8512亿美元 one year and 1.15万亿美元 the next
    if row.base_unit in ("元", "美元") and row.measure in ("level",) and pd.notna(row.value_base):
        return row.value_base / 1e8, "亿" + row.base_unit
    return row.value, row.unit if isinstance(row.unit, str) else ""


def _one_base_unit(part: pd.DataFrame) -> pd.DataFrame:
    """The rows of a series in its most stated base unit (a series may switch from 元 to 美元)."""
    units = part["base_unit"].fillna("")
    if units.nunique() <= 1:
        return part
    counts = units.value_counts(sort=False)
    return part[units == counts.idxmax()]


def _clear_data(ax) -> None:
    """Empties a reused panel: removes its data artists, resets its data limits, shows its axes."""
    for artist in [*ax.lines, *ax.collections]:
        artist.remove()
    ax.relim()
    ax.set_autoscale_on(True)
    ax.set_title("", y=1.0)
    ax.set_ylabel("")
    ax.axis("on")


def _timeline_legend():
    from matplotlib.lines import Line2D

    return [
        Line2D([], [], linestyle="none", marker="o", color="#1f77b4", label="实际 actual"),
        Line2D([], [], linestyle="none", marker="o", markerfacecolor="none", markeredgecolor="#d62728",
               label="目标/预计 target"),
    ]


MAX_REGIONS = 6
MAX_DEDUP_BARS = 40
# render processes at most: a job is a figure (all the timelines of one grid
# shape are one), so past a few the longest job sets the time anyway
MAX_RENDER_WORKERS = 4


@dataclass(frozen=True)
class _Chart:
    """A chart to draw: its id in the page, the module-level function that draws it and that function's data.

    Queried in the report's process and drawn in any process: a worker is
    handed the function by name and the (small) frames it plots, never a
    DuckDB connection. Charts with the same ``figure`` are drawn in one job,
    in page order, on one reused figure (see _draw_timeline).
    """

    name: str
    draw: Callable[[tuple, dict], object]
    data: tuple
    figure: tuple = ()


def _timeline_charts(con) -> list[tuple[_Chart, pd.DataFrame]]:
    df = con.execute(
        """
        select region, metric_key, measure, year, start_year, value, value_high, modifier, unit, value_base, base_unit,
            status, has_disagreement
        from mart_indicator_timeline
        where year = start_year
        order by region, metric_key, measure, year
        """
    ).df()
    out = []
    if df.empty:
        return out
    series_sizes = df.groupby(["region", "metric_key", "measure"]).size()
    # a summary, not a dump: the regions with the most stated values (all are in the warehouse)
    top = df.groupby("region").size().sort_values(ascending=False, kind="mergesort").index[:MAX_REGIONS]
    df = df[df["region"].isin(set(top))]
    for region, part_region in df.groupby("region", sort=False):
        sizes = series_sizes.loc[region].sort_values(ascending=False, kind="mergesort")
        series = [s for s, n in sizes.items() if n >= 2][:6]
        if not series:
            continue
        ncols = 2 if len(series) > 1 else 1
        nrows = (len(series) + ncols - 1) // ncols
        chart = _Chart(f"timeline-{region}", _draw_timeline, (region, part_region, series, nrows, ncols),
                       figure=("timeline", nrows, ncols))
        out.append((chart, part_region))
    return out


def _draw_timeline(data: tuple, figures: dict):
    region, part_region, series, nrows, ncols = data
    # one figure per grid shape, reused for every region of that shape: creating
    # axes and their tick artists costs about as much as drawing them, so the
    # next region only swaps the data artists, titles and labels
    if (nrows, ncols) not in figures:
        fig = _figure((6 * ncols, 3.2 * nrows))
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for ax in axes.flat:
            ax.xaxis.get_major_locator().set_params(integer=True)
        # one legend for the figure (the same two markers in every panel): one
        # legend to lay out instead of six, and no panel has its points covered
        fig.legend(handles=_timeline_legend(), loc="upper right", fontsize=8, ncol=2, frameon=False,
                   bbox_to_anchor=(1 - 0.1 / fig.get_figwidth(), 1 - 0.08 / fig.get_figheight()))
        figures[nrows, ncols] = fig, axes
    fig, axes = figures[nrows, ncols]
    for ax in axes.flat:
        _clear_data(ax)
    groups = dict(iter(part_region.groupby(["metric_key", "measure"], sort=False)))
    for ax, (metric_key, measure) in zip(axes.flat, series):
        # one axis, one unit: rows in another base unit stay in the table below the chart
        part = _one_base_unit(groups[metric_key, measure])
        vals = [_scaled(r) for r in part.itertuples()]
        ys = [v for v, _ in vals]
        unit = next((u for _, u in vals if u), "")
        actual = part["status"].eq("actual").to_numpy()
        ax.plot(part["year"], ys, color="#888", linewidth=1, zorder=1)
        ax.scatter(part["year"][actual], [y for y, a in zip(ys, actual) if a], color="#1f77b4", label="实际 actual", zorder=2)
        ax.scatter(part["year"][~actual], [y for y, a in zip(ys, actual) if not a], facecolors="none",
                   edgecolors="#d62728", label="目标/预计 target", zorder=2)
        # a target range (增长5%—5.5%) is drawn as a bar from its low to its high end; a not_set
        # target has no value and so no point (the table below the chart lists it)
        ranged = part["value_high"].notna().to_numpy()
        if ranged.any():
            scale = [y / r.value if r.value else 1.0 for y, r in zip(ys, part.itertuples())]
            ax.vlines(part["year"][ranged], [y for y, m in zip(ys, ranged) if m],
                      [h * f for h, f, m in zip(part["value_high"], scale, ranged) if m], colors="#d62728", zorder=2)
        ax.set_title(f"{region} · {metric_key} ({measure})", fontsize=10, y=1.0)
        ax.set_ylabel(unit)
    for ax in list(axes.flat)[len(series):]:
        ax.axis("off")
    fig.suptitle(f"{region} 指标时间线", fontsize=12)
    # room for the y tick labels and unit label at the left of each column,
    # the title above and the year labels below each row, the suptitle on top
    ytick = max(_ytick_inches(ax) for ax in list(axes.flat)[: len(series)])
    left = ytick + 0.45
    _layout(fig, nrows, ncols, left=left, right=0.15, top=0.75, bottom=0.35, wgap=left + 0.2, hgap=0.75)
    return fig


# a bar per target: hundreds make an image tens of thousands of pixels tall (and ~10 s to draw)
PLAN_CHART_BARS = 60


def _plan_chart(con) -> tuple[_Chart | None, pd.DataFrame]:
    """The plan chart (first PLAN_CHART_BARS targets with an attainment) and every row, targets with one first."""
    df = con.execute(
        """
        select region, metric, year, target_value, target_unit, target_qualifier, actual_value, attainment
        from mart_plan_vs_actual
        order by attainment is null, region, year, metric, target_fact_id
        """
    ).df()
    with_ratio = df[df["attainment"].notna()]
    if with_ratio.empty:
        return None, df
    with_ratio = with_ratio.head(PLAN_CHART_BARS)
    labels = [f"{r.region} {r.year} {r.metric}" for r in with_ratio.itertuples()]
    ratios = with_ratio["attainment"].clip(upper=3).to_numpy()
    return _Chart("plan-vs-actual", _draw_plan, (labels, ratios)), df


def _draw_plan(data: tuple, figures: dict):
    labels, ratios = data
    fig = _figure((9, 0.32 * len(labels) + 1.2))
    ax = fig.subplots()
    colors = ["#2ca02c" if v >= 1 else "#ff7f0e" for v in ratios]
    ax.barh(range(len(labels)), ratios, color=colors)
    ax.axvline(1.0, color="#333", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("完成度 attainment = 实际 / 目标 (capped at 3)")
    ax.set_title("规划目标与实际 plan targets vs actuals", y=1.0)
    left = max(_text_inches(s, 8) for s in labels) + 0.2
    _layout(fig, 1, 1, left=left, right=0.25, top=0.4, bottom=0.6)
    return fig


def _keyword_chart(con) -> tuple[_Chart | None, pd.DataFrame]:
    df = con.execute(
        """
        with multi_year as (
            select region from mart_keyword_trends group by region having count(distinct year) >= 2
        ),
        region_terms as (
            select region, term, sum(count) as total
            from mart_keyword_trends
            where region in (select region from multi_year) and len(term) >= 2
            group by region, term
        ),
        -- a region's 8th largest total: no term below it can rank in the top 8, so the window
        -- sorts a few rows per region instead of every term (about a million on a large run)
        cutoffs as (
            select region, list_min(max(total, 8)) as cutoff from region_terms group by region
        ),
        top_terms as (
            select r.region, r.term,
                row_number() over (partition by r.region order by r.total desc, r.term) as rn
            from region_terms as r
            inner join cutoffs as c using (region)
            where r.total >= c.cutoff
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
    regions = list(df.groupby("region")["count"].sum().sort_values(ascending=False, kind="mergesort").index[:MAX_REGIONS])
    df = df[df["region"].isin(set(regions))]
    return _Chart("keyword-trends", _draw_keywords, (df, regions)), df


def _draw_keywords(data: tuple, figures: dict):
    df, regions = data
    fig = _figure((9, 3.6 * len(regions)))
    axes = fig.subplots(len(regions), 1, squeeze=False)
    for ax, region in zip(axes.flat, regions):
        part = df[df.region == region]
        for term, g in part.groupby("term", sort=False):
            ax.plot(g["year"], g["per_10k_chars"], marker="o", label=term)
        ax.set_title(f"{region} 关键词趋势 (每万字出现次数)", fontsize=10, y=1.0)
        ax.set_ylabel("per 10,000 chars")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=8, ncol=4)
    left = max(_ytick_inches(ax) for ax in axes.flat) + 0.45
    _layout(fig, len(regions), 1, left=left, right=0.2, top=0.35, bottom=0.35, hgap=0.7)
    return fig


def _dedup_chart(con) -> tuple[_Chart | None, pd.DataFrame]:
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
    # the chart shows the documents that lost the most paragraphs (all are in the table and mart)
    shown = df.sort_values(["paragraphs_dropped", "paragraphs_total"], ascending=False, kind="mergesort").head(MAX_DEDUP_BARS)
    df = shown.sort_index()
    labels = [(t if len(t) <= 22 else t[:21] + "…") for t in df["title"].fillna("(untitled)")]
    bars = df[["paragraphs_kept", "paragraphs_dropped"]]
    return _Chart("dedup-per-document", _draw_dedup, (bars, labels)), df


def _draw_dedup(data: tuple, figures: dict):
    bars, labels = data
    fig = _figure((9, 0.35 * len(bars) + 1.2))
    ax = fig.subplots()
    y = range(len(bars))
    ax.barh(y, bars["paragraphs_kept"], color="#1f77b4", label="保留 kept")
    ax.barh(y, bars["paragraphs_dropped"], left=bars["paragraphs_kept"], color="#d62728", label="重复 duplicate")
    ax.set_yticks(list(y), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("段落数 paragraphs")
    ax.set_title("每篇文档的去重统计 dedup per document", y=1.0)
    ax.legend(fontsize=8)
    left = max(_text_inches(s, 8) for s in labels) + 0.2
    _layout(fig, 1, 1, left=left, right=0.25, top=0.4, bottom=0.6)
    return fig


# regions in the heat map at most (the regions with the most documents; all are in the mart)
MAX_HEAT_REGIONS = 30


def _topic_chart(con) -> tuple[_Chart | None, pd.DataFrame]:
    """The topic-intensity heat maps (one panel per topic: regions x years) and their rows."""
    df = con.execute(
        """
        select region, year, topic, per_10k_tokens, n_topic_words, n_tokens, n_documents, top_words
        from mart_topic_intensity
        where scope = 'region_year'
        order by region, year, topic
        """
    ).df()
    if df.empty:
        return None, df
    docs = df.drop_duplicates(["region", "year"]).groupby("region")["n_documents"].sum()
    regions = sorted(docs.sort_values(ascending=False, kind="mergesort").index[:MAX_HEAT_REGIONS])
    df = df[df["region"].isin(set(regions))]
    return _Chart("topic-intensity", _draw_topics, (df, regions)), df


def _draw_topics(data: tuple, figures: dict):
    import numpy as np

    df, regions = data
    topics = sorted(df["topic"].unique())
    years = sorted(df["year"].unique())
    row_of = {r: i for i, r in enumerate(regions)}
    col_of = {y: j for j, y in enumerate(years)}
    panel_h = 0.28 * len(regions) + 0.9
    fig = _figure((10, panel_h * len(topics) + 0.4))
    axes = fig.subplots(len(topics), 1, squeeze=False)
    # year labels: about 20 along the axis whatever the span
    step = max(1, int(np.ceil(len(years) / 20)))
    for ax, topic in zip(axes.flat, topics):
        grid = np.full((len(regions), len(years)), np.nan)
        part = df[df["topic"] == topic]
        grid[[row_of[r] for r in part["region"]], [col_of[y] for y in part["year"]]] = part["per_10k_tokens"]
        # each topic on its own scale: the panels compare years and regions, not topics
        image = ax.imshow(np.ma.masked_invalid(grid), aspect="auto", cmap="YlOrRd", interpolation="nearest")
        fig.colorbar(image, ax=ax, pad=0.01, fraction=0.03)
        ax.set_title(f"{topic} · 每万词 per 10,000 words", fontsize=10, y=1.0)
        ax.set_yticks(range(len(regions)), regions, fontsize=8)
        ax.set_xticks(range(0, len(years), step), [str(y) for y in years[::step]], fontsize=8)
    left = max(_text_inches(r, 8) for r in regions) + 0.25
    _layout(fig, len(topics), 1, left=left, right=0.3, top=0.3, bottom=0.35, hgap=0.55)
    return fig


def _amplification_chart(con) -> tuple[_Chart | None, pd.DataFrame, str]:
    """The amplification scatter (child target against parent target), its rows and the coverage line."""
    df = con.execute(
        """
        select region, parent_region, metric_key, measure, year, target_value, target_value_high, target_modifier,
            parent_target_value, parent_target_value_high, parent_target_modifier, difference_pct_points,
            both_from_work_reports, region_level, parent_level
        from mart_target_amplification
        order by metric_key, measure, year, region
        """
    ).df()
    # a child target (a rate of a region with a parent in the gazetteer) without its parent's target
    # is no row of the mart: it is counted here, and so is a missing parent work report
    coverage = con.execute(
        """
        with child_targets as (
            select region, region_code, parent_region_code, metric_key, measure, year
            from mart_target_board
            where measure in ('growth_pct', 'share_pct') and parent_region_code is not null
        ),
        unpaired as (
            select c.*
            from child_targets as c
            anti join mart_target_amplification as a using (region, metric_key, measure, year)
        ),
        unpaired_region_years as (
            select distinct parent_region_code, region, year from unpaired
        )
        select
            (select count(*) from child_targets) as n_child_targets,
            (select count(*) from mart_target_amplification) as n_paired,
            (select count(*) from unpaired) as n_unpaired,
            (select count(*) from unpaired_region_years) as n_unpaired_region_years,
            (select count(*) from unpaired_region_years as u
             where not exists (
                 select 1 from documents as d
                 where d.region_code = u.parent_region_code and d.year = u.year
                   and d.doc_type = 'gov_work_report'
             )) as n_without_parent_report
        """
    ).fetchone()
    n_child, n_paired, n_unpaired, n_region_years, n_no_report = coverage
    line = (f"Coverage: {n_child} rate targets of regions with a parent government; {n_paired} beside the parent's "
            f"target of the same metric and year (charted); {n_unpaired} without one, in {n_region_years} "
            f"region-years, {n_no_report} of which have no parent work report of that year in the corpus.")
    drawn = df[df["difference_pct_points"].notna()]
    if drawn.empty:
        return None, df, line
    return _Chart("target-amplification", _draw_amplification, (drawn,)), df, line


def _target_text(value, high, modifier) -> str:
    if modifier == "not_set":
        return "not set"
    shown = f"{value:g}" if pd.isna(high) else f"{value:g}–{high:g}"
    return f"{shown} ({modifier})" if isinstance(modifier, str) and modifier not in ("point", "range") else shown


def _amplification_table(df: pd.DataFrame) -> pd.DataFrame:
    """The amplification rows as the page shows them: each target as one cell (5–5.5, 6 (about))."""
    if df.empty:
        return df
    return pd.DataFrame({
        "region": df["region"],
        "parent_region": df["parent_region"],
        "metric": df["metric_key"] + " " + df["measure"],
        "year": df["year"],
        "target %": [_target_text(*t) for t in zip(df.target_value, df.target_value_high, df.target_modifier)],
        "parent's target %": [_target_text(*t) for t in zip(df.parent_target_value, df.parent_target_value_high,
                                                             df.parent_target_modifier)],
        "difference (pct points)": df["difference_pct_points"],
        "both from work reports": df["both_from_work_reports"],
    })


def _midpoint(value, high):
    return (value + high) / 2 if pd.notna(high) else value


def _draw_amplification(data: tuple, figures: dict):
    (df,) = data
    fig = _figure((9, 5.5))
    ax, bars = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1]})
    xs = [_midpoint(r.parent_target_value, r.parent_target_value_high) for r in df.itertuples()]
    ys = [_midpoint(r.target_value, r.target_value_high) for r in df.itertuples()]
    pairs = (df["parent_level"].fillna("?") + " → " + df["region_level"].fillna("?")).to_numpy()
    colors = {"country → province": "#1f77b4", "province → city": "#ff7f0e", "city → district_county": "#2ca02c"}
    for pair in sorted(set(pairs)):
        mask = pairs == pair
        ax.scatter([x for x, m in zip(xs, mask) if m], [y for y, m in zip(ys, mask) if m], label=pair,
                   color=colors.get(pair, "#7f7f7f"), alpha=0.8)
    lo, hi = min(xs + ys) - 0.5, max(xs + ys) + 0.5
    ax.plot([lo, hi], [lo, hi], color="#333", linestyle="--", linewidth=1)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("上级目标 parent's target (%)")
    ax.set_ylabel("本级目标 own target (%)")
    ax.set_title("目标层层加码 targets vs parent's", fontsize=10, y=1.0)
    ax.legend(fontsize=8)
    # mean difference per year and level pair: the amplification over time
    means = df.assign(pair=pairs).groupby(["pair", "year"])["difference_pct_points"].mean().reset_index()
    for pair, g in means.groupby("pair"):
        bars.plot(g["year"], g["difference_pct_points"], marker="o", label=pair, color=colors.get(pair, "#7f7f7f"))
    bars.axhline(0, color="#333", linewidth=1)
    # a year on each side: one year alone would get an axis of a century
    bars.set_xlim(means["year"].min() - 1, means["year"].max() + 1)
    bars.xaxis.get_major_locator().set_params(integer=True)
    bars.set_xlabel("year")
    bars.set_ylabel("平均差 mean difference (pct points)")
    bars.set_title("本级 − 上级 own − parent", fontsize=10, y=1.0)
    left = _ytick_inches(ax) + 0.7
    _layout(fig, 1, 2, left=left, right=0.2, top=0.4, bottom=0.6, wgap=left + 0.3)
    return fig


def _load_drawing() -> None:
    """Imports what drawing a chart needs (about half a second) and looks up the CJK font."""
    # errors are left to the drawing code, which imports again and raises them
    # in the report's thread (this may run in a helper thread)
    with contextlib.suppress(Exception):
        cjk_font()
        import matplotlib.backends.backend_agg
        import matplotlib.figure  # noqa: F401
        import PIL.PngImagePlugin  # noqa: F401


def _chart_rc(font: str | None) -> dict:
    rc = {"axes.unicode_minus": False}
    if font:
        rc["font.family"] = [font]
    return rc


def _render_job(job: tuple[list[_Chart], dict]) -> list[str]:
    """PNG data URIs of one job's charts, in order, drawn in this process with the report's rc settings."""
    import matplotlib

    charts, rc = job
    cjk_font()  # a spawned worker registers the bundled font as the parent did (forked ones have it)
    figures: dict = {}
    with matplotlib.rc_context(rc), warnings.catch_warnings():
        # without a CJK font matplotlib warns once per missing glyph; the page says it once
        warnings.simplefilter("ignore", UserWarning)
        return [_png(chart.draw(chart.data, figures)) for chart in charts]


def _render_workers() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_RENDER_WORKERS))


def _render_charts(charts: list[_Chart], rc: dict, workers: int) -> dict[str, str]:
    """PNG data URIs of the charts by name: their jobs drawn in up to ``workers`` processes, else here.

    A job draws the same charts in the same order wherever it runs, so the
    page is the same either way (tests/test_report.py checks it).
    """
    by_figure: dict[tuple, list[_Chart]] = {}
    for chart in charts:
        by_figure.setdefault(chart.figure or (chart.name,), []).append(chart)
    # most charts first (stable): the long jobs start first and a short one ends the run
    jobs = sorted(((group, rc) for group in by_figure.values()), key=lambda job: len(job[0]), reverse=True)
    pngs = _render_jobs(jobs, workers)
    return {chart.name: png for (group, _), group_pngs in zip(jobs, pngs) for chart, png in zip(group, group_pngs)}


def _render_jobs(jobs: list, workers: int) -> list[list[str]]:
    if workers > 1 and len(jobs) > 1:
        _load_drawing()  # before the fork, so no worker imports matplotlib again
        try:
            return map_in_processes(_render_job, jobs, workers)
        except (OSError, BrokenProcessPool):
            # no pool (fork refused, process limit, no shared memory) or a worker
            # died: draw them here, only slower
            pass
    return [_render_job(job) for job in jobs]


_CSS = """
body { font-family: 'govreports-cjk', 'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif;
       margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
img.chart { max-width: 100%; display: block; margin: 1em 0; border: 1px solid #eee; }
table.data { border-collapse: collapse; font-size: .85em; margin: .5em 0 1em; }
table.data th, table.data td { border: 1px solid #ddd; padding: .2em .5em; text-align: left; }
table.data th { background: #f4f4f4; }
.warn { background: #fff3cd; padding: .5em; } .note, .empty { color: #666; font-size: .85em; }
"""


def _docs_href(db_path: Path | str, html_path: Path | str) -> str:
    """Relative link from the report to dbt's static docs site of its warehouse."""
    site = Path(db_path).resolve().parent / "dbt" / "static_index.html"
    return Path(os.path.relpath(site, Path(html_path).resolve().parent)).as_posix()


@dataclass(frozen=True)
class _Marts:
    """What the page needs from the warehouse: the charts to draw, the rows of its tables and two counts."""

    timelines: list[tuple[_Chart, pd.DataFrame]]
    plan_chart: _Chart | None
    plan_df: pd.DataFrame
    keyword_chart: _Chart | None
    top_keywords: pd.DataFrame
    dedup_chart: _Chart | None
    dedup_df: pd.DataFrame
    topic_chart: _Chart | None
    topic_df: pd.DataFrame
    amplification_chart: _Chart | None
    amplification_df: pd.DataFrame
    amplification_coverage: str
    n_documents: int
    n_indicator_rows: int


def _read_marts(con) -> _Marts:
    """Runs the mart queries on an open connection."""
    timelines = _timeline_charts(con)
    plan_chart, plan_df = _plan_chart(con)
    keyword_chart, _ = _keyword_chart(con)
    dedup_chart, dedup_df = _dedup_chart(con)
    topic_chart, topic_df = _topic_chart(con)
    amp_chart, amp_df, amp_coverage = _amplification_chart(con)
    n_documents = con.execute("select count(*) from mart_documents").fetchone()[0]
    n_indicator_rows = con.execute("select count(*) from mart_indicator_timeline").fetchone()[0]
    top_keywords = con.execute(
        "select region, year, string_agg(term, '、' order by rank_in_region_year, term) as top_terms "
        "from mart_keyword_trends where rank_in_region_year <= 10 group by region, year order by region, year"
    ).df()
    return _Marts(
        timelines=timelines, plan_chart=plan_chart, plan_df=plan_df,
        keyword_chart=keyword_chart, top_keywords=top_keywords, dedup_chart=dedup_chart, dedup_df=dedup_df,
        topic_chart=topic_chart, topic_df=topic_df, amplification_chart=amp_chart, amplification_df=amp_df,
        amplification_coverage=amp_coverage, n_documents=n_documents, n_indicator_rows=n_indicator_rows,
    )


def _read_warehouse(db_path: Path | str) -> _Marts:
    """The marts of the warehouse, read while matplotlib loads in a helper thread."""
    # matplotlib loads while DuckDB answers the queries (which release the GIL)
    loader = threading.Thread(target=_load_drawing, name="report-load-drawing", daemon=True)
    loader.start()
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return _read_marts(con)
    finally:
        # closed before any render process forks: workers get data, not a connection
        con.close()
        loader.join()


def _charts_to_draw(marts: _Marts) -> list[_Chart]:
    """Every chart of the page: the timelines, then keywords, plan, dedup, topics, amplification."""
    others = (marts.keyword_chart, marts.plan_chart, marts.dedup_chart, marts.topic_chart, marts.amplification_chart)
    return [c for c, _ in marts.timelines] + [c for c in others if c is not None]


@dataclass
class _Page:
    """The page being built: its HTML lines, the charts shown so far and the rendered images by name."""

    pngs: dict[str, str]
    parts: list[str] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)

    def add(self, *lines: str) -> None:
        self.parts.extend(lines)

    def chart(self, name: str, alt: str) -> None:
        """Adds the chart's image (a data URI) and records its name."""
        self.charts.append(name)
        self.parts.append(f"<img class='chart' id='{html.escape(name)}' alt='{html.escape(alt)}' "
                          f"src='{self.pngs[name]}'>")


def _header_section(page: _Page, marts: _Marts, db_path: Path | str, html_path: Path, font: str | None) -> None:
    """Doctype, head and the opening lines; a warning when no CJK font is installed."""
    page.add(
        "<!DOCTYPE html>",
        "<html lang='zh-CN'><head><meta charset='utf-8'>",
        "<title>govreports 报告</title>",
        "<style>{font_face}" + _CSS + "</style></head><body>",
        "<h1>govreports 报告 · run report</h1>",
        f"<p>{marts.n_documents} documents, {marts.n_indicator_rows} indicator timeline rows. "
        f"Source: <code>{html.escape(str(db_path))}</code></p>",
        # dbt's docs site (tasks/warehouse.build_docs, `govreports docs`) sits in dbt/ beside the warehouse
        f"<p>Models, columns, data tests and lineage from the Parquet sources to the marts: "
        f"<a href='{html.escape(_docs_href(db_path, html_path))}'>dbt docs</a> "
        f"(built by <code>govreports docs</code>; opens offline).</p>",
    )
    if not font:
        page.add("<p class='warn'>No CJK font installed: Chinese chart labels may show as boxes "
                 "(Debian: <code>apt-get install fonts-wqy-microhei</code>).</p>")


def _timeline_section(page: _Page, marts: _Marts) -> None:
    page.add("<h2>指标时间线 Indicator timelines per region</h2>",
             "<p>Filled dots: actual values; open dots: targets or forecasts, a bar for a target range "
             "(mart_indicator_timeline, one-year values). A target stated as not set (modifier not_set) "
             "has no value and shows only in the table.</p>")
    if not marts.timelines:
        page.add("<p class='empty'>no region has two years of one metric</p>")
    for timeline, df in marts.timelines:
        page.chart(timeline.name, f"timeline {timeline.name}")
        page.add(_table(df, max_rows=25))


def _plan_section(page: _Page, marts: _Marts) -> None:
    page.add("<h2>规划目标与实际 Plan targets vs actuals</h2>")
    if marts.plan_chart:
        page.chart(marts.plan_chart.name, "plan targets vs actuals")
        plan_with_ratio = int(marts.plan_df["attainment"].notna().sum())
        if plan_with_ratio > PLAN_CHART_BARS:
            page.add(f"<p class='note'>chart: first {PLAN_CHART_BARS} of {plan_with_ratio} targets with an "
                     "actual value; all of them are in mart_plan_vs_actual</p>")
    page.add(_table(marts.plan_df, max_rows=60))


def _keyword_section(page: _Page, marts: _Marts) -> None:
    page.add("<h2>关键词趋势 Keyword trends</h2>")
    if marts.keyword_chart:
        page.chart(marts.keyword_chart.name, "keyword trends")
    page.add(_table(marts.top_keywords, max_rows=60))


def _dedup_section(page: _Page, marts: _Marts) -> None:
    page.add("<h2>去重统计 Dedup per document</h2>")
    if marts.dedup_chart:
        page.chart(marts.dedup_chart.name, "dedup per document")
    page.add(_table(marts.dedup_df, max_rows=200))


def _topic_section(page: _Page, marts: _Marts) -> None:
    page.add("<h2>主题强度 Topic intensity</h2>",
             "<p>Topic words per 10,000 words of each region's documents of a year (mart_topic_intensity; "
             "dictionaries in tasks/resources/topics/, one file per topic). Each topic has its own colour "
             "scale; a blank cell is a year without documents.</p>")
    if marts.topic_chart:
        page.chart(marts.topic_chart.name, "topic intensity heat map")
        shown = marts.topic_df.pivot_table(index=["region", "year"], columns="topic",
                                           values="per_10k_tokens").round(1)
        shown.columns.name = None
        page.add(_table(shown.reset_index(), max_rows=80))
    else:
        page.add("<p class='empty'>no region-year with words</p>")


def _amplification_section(page: _Page, marts: _Marts) -> None:
    page.add("<h2>目标层层加码 Target amplification</h2>",
             "<p>Each rate target beside the target of the government above for the same metric and year "
             "(mart_target_amplification; ranges by their midpoint). Above the dashed line: the lower "
             "government set the higher target.</p>",
             f"<p class='coverage'>{html.escape(marts.amplification_coverage)}</p>")
    if marts.amplification_chart:
        page.chart(marts.amplification_chart.name, "target amplification")
    page.add(_table(_amplification_table(marts.amplification_df), max_rows=60))


def _write_page(html_path: Path, parts: list[str]) -> None:
    """Joins the lines, embeds the font subset and writes the page beside html_path, then renames it into place."""
    html_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = html_path.with_name(f".{html_path.name}.tmp-{os.getpid()}")
    page = "\n".join(parts)
    tmp.write_text(page.replace("{font_face}", embedded_font_css(page), 1), encoding="utf-8")
    os.replace(tmp, html_path)


def write_report(db_path: Path | str, html_path: Path | str, workers: int | None = None) -> ReportResult:
    """Writes the HTML report of a built warehouse.

    Args:
        db_path: The warehouse DuckDB file (opened read-only).
        html_path: Where to write the page (written beside it, then renamed into place).
        workers: Processes drawing the charts; None: the CPUs available, at most
            MAX_RENDER_WORKERS; 1 draws them in this process.
    """
    html_path = Path(html_path)
    marts = _read_warehouse(db_path)
    font = cjk_font()
    page = _Page(pngs=_render_charts(_charts_to_draw(marts), _chart_rc(font), workers or _render_workers()))
    _header_section(page, marts, db_path, html_path, font)
    for section in (_timeline_section, _plan_section, _keyword_section, _dedup_section, _topic_section,
                    _amplification_section):
        section(page, marts)
    page.add("</body></html>")
    _write_page(html_path, page.parts)
    return ReportResult(path=html_path, charts=page.charts, font=font)
