"""write_report: a self-contained HTML page with embedded charts, rendered in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tasks.report import _render_workers, cjk_font, write_report
from test_queries import build_seed_warehouse

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def seed_warehouse():
    return build_seed_warehouse()


@pytest.fixture(scope="module")
def report(seed_warehouse, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.html"
    return write_report(seed_warehouse, path)


@pytest.fixture(scope="module")
def report_in_process(seed_warehouse, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.html"
    return write_report(seed_warehouse, path, workers=1)


def test_report_is_self_contained_with_every_chart_embedded(report):
    page = report.path.read_text(encoding="utf-8")
    assert {"plan-vs-actual", "keyword-trends", "dedup-per-document"} <= set(report.charts)
    assert "timeline-台州市路桥区" in report.charts
    imgs = re.findall(r"<img class='chart' id='([^']+)' alt='[^']*' src='data:image/png;base64,", page)
    assert imgs == report.charts
    # offline: nothing is fetched from anywhere
    assert not re.search(r"(src|href)=['\"]https?:", page)
    assert "2022年台州市路桥区政府工作报告" in page


def test_report_links_to_the_dbt_docs_site_beside_its_warehouse(seed_warehouse, report):
    page = report.path.read_text(encoding="utf-8")
    href = re.search(r"<a href='([^']+)'>dbt docs</a>", page).group(1)
    site = (report.path.parent / href).resolve()
    assert site == seed_warehouse.parent.resolve() / "dbt" / "static_index.html"


def test_the_charts_are_drawn_with_a_cjk_font(report):
    # mplfonts, a dependency, ships Noto Sans CJK SC: a CJK font is found on any machine
    assert report.font is not None and report.font == cjk_font()
    from matplotlib import font_manager

    path = font_manager.findfont(font_manager.FontProperties(family=report.font), fallback_to_default=False)
    from matplotlib.ft2font import FT2Font

    assert FT2Font(path).get_char_index(ord("政")) != 0, f"{path} has no glyph for 政"
    assert "No CJK font installed" not in report.path.read_text(encoding="utf-8")


def test_report_is_byte_identical_drawn_in_processes_or_in_process(seed_warehouse, report, report_in_process, tmp_path):
    parallel = write_report(seed_warehouse, tmp_path / "report.html", workers=2)
    assert parallel.charts == report_in_process.charts
    assert parallel.path.read_bytes() == report_in_process.path.read_bytes() == report.path.read_bytes()


def test_report_is_drawn_in_process_when_the_pool_cannot_start(seed_warehouse, report_in_process, tmp_path, monkeypatch):
    def no_pool(*args, **kwargs):
        raise OSError("fork refused")

    monkeypatch.setattr("tasks.report.map_in_processes", no_pool)
    fallback = write_report(seed_warehouse, tmp_path / "report.html", workers=2)
    assert fallback.path.read_bytes() == report_in_process.path.read_bytes()


def test_one_available_cpu_means_one_render_process(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0}, raising=False)
    assert _render_workers() == 1


# The only check that the charts really render: skipped only when a user opts out explicitly
SKIP_BROWSER = os.environ.get("GOVREPORTS_SKIP_BROWSER_TEST") == "1"


@pytest.mark.skipif(SKIP_BROWSER, reason="GOVREPORTS_SKIP_BROWSER_TEST=1")
def test_report_renders_charts_in_headless_chromium(report, tmp_path):
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: apt-get install -y chromium "
                    "(scripts/test.sh does it as root), or set GOVREPORTS_SKIP_BROWSER_TEST=1 to skip this check")
    shot = tmp_path / "shot.png"
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    url = report.path.resolve().as_uri()
    subprocess.run(args + [f"--screenshot={shot}", "--window-size=1200,2000", url], check=True, capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 20_000
    from PIL import Image

    img = Image.open(shot).convert("L")
    non_white = sum(img.point(lambda v: 255 if v < 240 else 0).histogram()[255:])
    assert non_white > 0.02 * img.width * img.height, "screenshot is (nearly) blank"
    dom = subprocess.run(args + ["--dump-dom", url], check=True, capture_output=True, timeout=120, text=True).stdout
    rendered = re.findall(r'<img class="chart" id="([^"]+)"', dom)
    assert rendered == report.charts


@pytest.mark.filterwarnings("ignore:Glyph")  # drawn without write_report's CJK font setup
def test_plan_chart_draws_at_most_its_bar_limit_in_table_order():
    import base64
    import io

    import duckdb
    from PIL import Image

    from tasks.report import _DPI, PLAN_CHART_BARS, _plan_chart, _render_job

    con = duckdb.connect()
    con.execute(
        """create table mart_plan_vs_actual as
        select 'r' || (i % 3) as region, 'm' || lpad(i::varchar, 3, '0') as metric, 2025 as year,
               100.0 as target_value, '%' as target_unit, null as target_qualifier,
               case when i % 10 = 0 then null else i end as actual_value,
               case when i % 10 = 0 then null else i / 100.0 end as attainment, 'f' || i as target_fact_id
        from range(150) t(i)"""
    )
    chart, df = _plan_chart(con)
    png = _render_job(([chart], {}))[0]
    assert len(df) == 150 and df["attainment"].notna().sum() == 135
    # every row stays in the table, ratio rows first, ordered by region, year, metric
    assert df["attainment"].notna().head(135).all() and df["attainment"].isna().tail(15).all()
    assert df.head(135)[["region", "metric"]].apply(tuple, axis=1).is_monotonic_increasing
    height = Image.open(io.BytesIO(base64.b64decode(png.split(",", 1)[1]))).size[1]
    # a bar is ~0.32 in: the image holds the capped number of bars, not 135
    assert height < (0.32 * PLAN_CHART_BARS + 3) * _DPI


def test_a_money_series_is_drawn_in_one_unit_whatever_magnitude_each_year_was_written_in():
    import pandas as pd

    from tasks.report import _one_base_unit, _scaled

    part = pd.DataFrame({
        "year": [1984, 2003, 2004, 2005], "measure": "level",
        "value": [1201.0, 8512.0, 1.15, 1.42], "unit": ["亿元", "亿美元", "万亿美元", "万亿美元"],
        "value_base": [1.201e11, 8.512e11, 1.15e12, 1.42e12], "base_unit": ["元", "美元", "美元", "美元"],
    })
    kept = _one_base_unit(part)
    # the 亿元 year of a series mostly stated in dollars stays out of the chart (it is in the table)
    assert kept["year"].tolist() == [2003, 2004, 2005]
    assert [_scaled(r) for r in kept.itertuples()] == [(8512.0, "亿美元"), (11500.0, "亿美元"), (14200.0, "亿美元")]


def test_the_page_embeds_a_font_subset_holding_a_glyph_for_every_chinese_character_it_shows(report):
    import base64
    import io

    from fontTools.ttLib import TTFont

    page = report.path.read_text(encoding="utf-8")
    m = re.search(r"@font-face \{ font-family: 'govreports-cjk'; src: url\(data:font/otf;base64,([A-Za-z0-9+/=]+)\)", page)
    assert m, "no embedded CJK font: headings and table cells show as boxes without a system CJK font"
    data = base64.b64decode(m.group(1))
    assert len(data) < 200_000  # a subset, not the 16 MB font
    cmap = TTFont(io.BytesIO(data)).getBestCmap()
    shown = {c for c in page if ord(c) > 127}
    assert "报" in shown and not [c for c in shown if ord(c) not in cmap]
    assert "font-family: 'govreports-cjk'," in page


def test_seed_report_has_the_topic_heat_map_and_counts_targets_without_a_parent_target(report):
    page = report.path.read_text(encoding="utf-8")
    assert "topic-intensity" in report.charts and "主题强度 Topic intensity" in page
    # no seed region has its parent government's report: no amplification chart, but the line says why
    assert "target-amplification" not in report.charts
    assert re.search(r"Coverage: \d+ rate targets of regions with a parent government; 0 beside", page)


def test_amplification_chart_and_coverage_line_on_a_province_and_its_cities(tmp_path):
    from test_marts import build
    from test_research_marts import multilevel

    build(tmp_path, multilevel())
    result = write_report(tmp_path / "w.duckdb", tmp_path / "report.html", workers=1)
    page = result.path.read_text(encoding="utf-8")
    assert {"topic-intensity", "target-amplification"} <= set(result.charts)
    # by hand: rate targets of 浙江省, 台州市, 温州市 (2023) and 台州市路桥区 (2022) have a parent; three are
    # paired, the district's is not, and 台州市 has no work report of 2022
    assert ("Coverage: 4 rate targets of regions with a parent government; 3 beside the parent&#x27;s target of "
            "the same metric and year (charted); 1 without one, in 1 region-years, 1 of which have no parent work "
            "report of that year in the corpus.") in page
