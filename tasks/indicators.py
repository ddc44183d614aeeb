"""Indicators: numeric statements in running text -> the ``indicators`` table.

Takes ``documents`` (doc_type, region, year, event_date) and kept body/heading
``paragraphs``, and gives one row per (metric, value) a sentence states: the
metric as written and its canonical ``metric_key`` (from
``tasks/resources/metric_keys.tsv``), what the value measures (level,
growth_pct, share_pct, per_capita, count), the value as written and converted
to a base unit, the period it belongs to and whether it is an actual, a target
or a forecast, plus the evidence sentence and its offsets in the paragraph.

The method is pattern-based slot filling, the way statistical-bulletin parsers
and the rule layer of numeric-fact extractors work (cf. Saha, Pal & Mausam,
"Bootstrapping for Numerical Open IE", ACL 2017: a relation phrase, a small
set of connective words, then a quantity): a clause is read as

    [allowed prefix] metric-group [connectives] value [qualifier] ([、,] [connectives] value ...)

where a metric group is one or more known metric names joined by 、/和/与, the
connectives are a closed list (达到, 增长, 分别, 年均, 从…年的, …), and a clause
with values but no metric continues the previous metric group of the sentence
(',增长8.3%'). Anything else between a metric and a number drops the match,
and so does anything but a closed list of prefixes (全年, 全区, 实现, 力争, 其中,
the region's name, a year) before the metric ('4个特色小镇完成固定资产投资…' is
not the county's investment): precision over recall. A 分别 list zips metrics
with values in order; several values of one measure for one metric without 分别
are kept only when each has its own year (a range). 'A占B比重' is a share_pct
of A. 下降/降低/减少 give a negative growth_pct. Values of other places
('全省…') are dropped; '全市…' in a district's document is about its city.

Periods are resolved from, in this order: a year written right before the
value (从2016年的…), a year in the sentence (2020年, 到2025年, 二〇三五年; not
比2025年 or 2014年以来), the lead clause of a ';' list ("…主要预期目标为:"),
a year stated in the previous few sentences of the paragraph, and finally the
document's current phase, tracked as its text is read: '一年来'/'工作回顾'
(the year before the report), '过去五年'/'五年来' (the five years before),
'今年'/'主要预期目标' (the report's year) and '今后五年'/'未来五年' (the five
years from it). The report's year is that of its event date, plus one for
meetings held from October on (a December party congress plans the next
five years).

Sentence families of unseen reports (issue 15), each handled by rules that name it in a comment:
1 level and growth in one clause ('全省生产总值4.8万亿元、增长5.2%'; 全省 is the document's own
place in a province's report); 2 ranges and modifiers ('5%—5.5%', '百分之八至九', 左右, 以上):
``modifier`` and ``value_high``; 3 synonym subjects, as data in metric_keys.tsv (经济增长, 经济总量,
居民收入); 4 分别 lists and paired subjects, zipped in order (also a plain '8.4%和8%' list after as
many subjects); 5 from–to pairs, each end with its own year (the section's or the sentence's
'与2020年相比' start, else the year before); 6 thresholds ('突破3000亿元、达到3185亿元': the bound
gives no row; 迈上/跨过: at_least); 7 five-year figures (年均: plan_average; 五年/累计/较'十三五'/
比2002年: plan_cumulative; a named plan period '“六五”期间' dates its values); 8 comparable-basis
and real-terms restatements (同口径, a second '实际增长'): ``is_comparable_basis``; 9 an explicit
absence ('不设具体增长目标'): a gdp growth target with no value and modifier not_set. Tense
markers decide status before the section does: 预计 (forecast), 力争/目标/今年/将 (target), but a
target met ('全面实现…主要目标') is a result. Years that are not periods are left out: dates,
comparisons, price bases ('按2010年价格'), starting points ('在1992年…的基础上'), horizons
('面向2030年的…') and years in comparison clauses ('超过1979年到1997年的总和').

``char_start``/``char_end`` are the offsets of the evidence *sentence* (from
tasks.sentences.sentence_spans) in the cleaned paragraph text, so
``text[char_start:char_end] == evidence``; ``value_text`` is the number and unit
as written.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import NamedTuple

import cn2an
import pandas as pd

from tasks import reasons
from tasks.regions import with_region_codes
from tasks.schemas import column_names
from tasks.sentences import paragraph_sentence_spans, sentence_spans
from tasks.text import CN_DIGITS, kept_paragraphs

RESOURCES = Path(__file__).parent / "resources"

MEASURES = ("level", "growth_pct", "share_pct", "per_capita", "count", "rank", "other")
REPORT_TYPES = ("gov_work_report", "party_congress")


@dataclass(frozen=True)
class IndicatorConfig:
    """Settings of indicator extraction.

    Args:
        metric_keys_path: TSV mapping metric surface names to metric keys.
        kinds: Paragraph kinds read; tables belong to plan-table extraction.
        core_only: Keep only rows of core metrics (core=1 in the TSV).
        max_gap_chars: Most characters of connective words allowed between a
            metric name and its value (or between two values of a list).
        carry_sentences: How many sentences back in the same paragraph a stated
            year still dates a sentence that gives none.
        late_meeting_month: Meetings from this month on plan for the next year.
    """

    metric_keys_path: Path = RESOURCES / "metric_keys.tsv"
    kinds: tuple[str, ...] = ("body", "heading")
    core_only: bool = False
    max_gap_chars: int = 14
    carry_sentences: int = 4
    late_meeting_month: int = 10

    def __post_init__(self) -> None:
        if not Path(self.metric_keys_path).is_file():
            raise ValueError(f"metric_keys_path: no file at {self.metric_keys_path}")
        if not self.kinds:
            raise ValueError("kinds must name at least one paragraph kind")
        if self.max_gap_chars < 0:
            raise ValueError("max_gap_chars must be >= 0")
        if self.carry_sentences < 0:
            raise ValueError("carry_sentences must be >= 0")
        if not 1 <= self.late_meeting_month <= 13:
            raise ValueError("late_meeting_month must be in 1..13 (13: never)")


@dataclass(frozen=True)
class IndicatorResult:
    """What extraction gives: the indicators table and counts.

    Attributes:
        indicators: One row per (metric, value) statement, columns of ``indicators``.
        stats: paragraphs_in, paragraphs_read, sentences, indicators, core,
            and dropped_<reason> counts of candidate values not emitted.
    """

    indicators: pd.DataFrame
    stats: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricName:
    """One row of metric_keys.tsv."""

    surface: str
    keys: tuple[str, ...]
    measure_hint: str
    split_keys: tuple[str, ...]
    core: bool


def load_metric_keys(path: Path | str = RESOURCES / "metric_keys.tsv") -> dict[str, MetricName]:
    """Reads the metric name mapping.

    Args:
        path: TSV with columns surface, metric_key, measure_hint, split_keys, core;
            lines starting with '#' are comments.

    Returns:
        Mapping from surface name to its MetricName.
    """
    out: dict[str, MetricName] = {}
    with open(path, encoding="utf-8") as fh:
        rows = csv.DictReader((ln for ln in fh if not ln.startswith("#")), delimiter="\t")
        for row in rows:
            surface = row["surface"].strip()
            hint = row["measure_hint"].strip()
            if hint not in MEASURES:
                raise ValueError(f"metric_keys: measure_hint {hint!r} of {surface!r} is not a measure")
            if surface in out:
                raise ValueError(f"metric_keys: surface {surface!r} listed twice")
            out[surface] = MetricName(
                surface=surface,
                keys=tuple(row["metric_key"].strip().split("|")),
                measure_hint=hint,
                split_keys=tuple(k for k in (row.get("split_keys") or "").strip().split("|") if k),
                core=(row["core"].strip() == "1"),
            )
    return out


# --- numbers and units --------------------------------------------------------

UNIT_MAGNITUDES_PATH = RESOURCES / "unit_magnitudes.tsv"


def load_unit_magnitudes(path: Path | str = UNIT_MAGNITUDES_PATH) -> dict[str, float]:
    """Magnitude prefix -> factor (万 -> 1e4), longest prefix first; the warehouse reads the same file."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")
        factors = {row["prefix"]: float(row["factor"]) for row in rows}
    return dict(sorted(factors.items(), key=lambda kv: -len(kv[0])))


# magnitude prefixes stay in the unit as written (716.66亿元 -> 716.66, 亿元)
MAGNITUDES = load_unit_magnitudes()
BASE_UNITS = {
    "美元": "美元", "元": "元", "%": "%", "％": "%", "个百分点": "百分点", "人": "人", "户": "户",
    "家": "家", "个": "个", "亩": "亩", "平方米": "平方米", "公里": "公里", "吨": "吨", "岁": "岁", "倍": "倍",
    "斤": "斤", "公斤": "公斤",
}
CURRENCY = {"元", "美元"}
_UNIT_RE = (
    f"(?:{'|'.join(MAGNITUDES)})?(?:美元|元)|个百分点|[%％]"
    "|(?:亿|万)?(?:人|户|亩|平方米|吨|公斤|斤)|家|个|公里|岁|倍"
)
# a number not right after a digit, point or 第: written as 'first character,
# then the one before it is none of those' rather than a leading lookbehind, so
# that the regex engine can skip ahead to digits (the same matches, ~2x faster)
_NOT_AFTER = rf"(?<![\d.{CN_DIGITS}十百千第].)"
# family 2 (ranges as targets): '5%—5.5%', '4.5-5%', '6.5%至7%' are one value with a high end;
# the low end may repeat the unit ('5%—'), the high end is Arabic
VALUE_RE = re.compile(
    rf"(?P<num>\d{_NOT_AFTER}\d*(?:[.·]\d+)?|[{CN_DIGITS}十百千]{_NOT_AFTER}(?:[{CN_DIGITS}十百千]|万(?=[{CN_DIGITS}]))*"
    # family 6: '突破万亿元' is one 万亿 (千亿 already reads as 千 of 亿)
    rf"|(?<![\d{CN_DIGITS}十百千万])万(?=亿[美元])"
    rf"(?:点[{CN_DIGITS}]+)?)"
    # family 2: '67700多亿元', '1900多元' — more than the number written
    r"(?P<more>多)?"
    r"(?:[%％]?(?:[—–~～－-]{1,2}|至)(?P<high>\d+(?:\.\d+)?)(?=[%％]))?"
    rf"(?P<unit>{_UNIT_RE})(?P<post>以上|以下|左右|以内|上下|多)?"
)


# percentages in words, as older reports write them: 百分之十一点八
PCT_WORDS_RE = re.compile(
    rf"百分之(?P<num>[{CN_DIGITS}十百]+(?:点[{CN_DIGITS}]+)?)"
    rf"(?:(?:至|到|—|－|-)(?:百分之)?(?P<high>[{CN_DIGITS}十百]+(?:点[{CN_DIGITS}]+)?))?"
    "(?P<post>以上|以下|左右|以内|上下|多)?")


def parse_number(text: str) -> float | None:
    """Reads an Arabic or Chinese numeral (716.66, 19·5, 千, 三十五, 二点五); None if it is not one."""
    try:
        return float(text.replace("·", "."))
    except ValueError:
        pass
    s = text
    if s[0] in "十百千万":
        # cn2an wants a leading digit: 千 -> 一千
        s = "一" + s
    try:
        return float(cn2an.cn2an(s, "smart"))
    except (ValueError, KeyError):
        return None


def split_unit(unit: str) -> tuple[float, str]:
    """Splits a unit as written into (factor, base unit): 亿元 -> (1e8, 元)."""
    for prefix, factor in MAGNITUDES.items():
        if unit.startswith(prefix) and unit[len(prefix):] in BASE_UNITS:
            return factor, BASE_UNITS[unit[len(prefix):]]
    return 1.0, BASE_UNITS.get(unit, unit)


TITLE_RE = re.compile(r"《[^》]*》")
BASE_OF_RE = re.compile(r"[^，,。；;]{0,12}的?基础上")
YEAR_RE = re.compile(
    rf"(?P<pre>[到至比较与同自从]?)(?P<y>(?:19|20)\d\d|[{CN_DIGITS}○]{{4}})年(?P<post>\d{{1,2}}月|以来|来|之前|以前|前|度)?"
)


def parse_year(text: str) -> int | None:
    """Reads a four-digit year in Arabic or Chinese digits (2025, 二〇三五)."""
    if text.isdigit():
        return int(text)
    digits = "".join(str("〇一二三四五六七八九".find(c)) if c not in "零○" else "0" for c in text)
    return int(digits) if digits.isdigit() and "-" not in digits else None


class StatedYear(NamedTuple):
    """A year a text states: where, which, and whether as a deadline ('到2025年')."""

    position: int
    year: int
    is_deadline: bool


class _YearSpan(NamedTuple):
    """First and last year of a period (a five-year plan: start, start + 4)."""

    start: int
    end: int


class _Frame(NamedTuple):
    """The lead clause of a ';' list ('2025年目标:'): its text and the years it states."""

    lead: str
    years: list[int]


def stated_years(text: str) -> list[StatedYear]:
    """Years a text states as the period it speaks of.

    Dates (2022年2月), comparisons (比2025年), starting points (2014年以来,
    从2016年) and years inside book titles are left out.

    Returns:
        StatedYear (position, year, is_deadline) tuples; is_deadline for '到2025年'.
    """
    out = []
    if "年" not in text:
        return out  # every year is written with 年
    titles = [(m.start(), m.end()) for m in TITLE_RE.finditer(text)]
    for m in YEAR_RE.finditer(text):
        if m.group("pre") in {"比", "较", "与", "同", "自", "从"} or m.group("post"):
            continue
        if any(s <= m.start() < e for s, e in titles):
            continue
        if text.startswith(("价格", "不变价", "可比价"), m.end()):
            continue  # '按2010年价格计算' names a price base, not a period
        if text[max(0, m.start() - 2):m.start()] in ("面向", "迈向", "着眼"):
            continue  # '面向2030年的科技创新重大项目' names a horizon of something else
        if BASE_OF_RE.match(text, m.end()):
            continue  # '在1992年快速增长的基础上' is where the period starts from, not the period
        y = parse_year(m.group("y"))
        if y is None or not 1949 <= y <= 2100:
            continue
        out.append(StatedYear(m.start(), y, m.group("pre") in {"到", "至"}))
    return out


# --- connective vocabulary ----------------------------------------------------

_YEAR_NUM = rf"(?:19|20)\d\d|[{CN_DIGITS}○]{{4}}"
_YEAR_TOKEN = rf"(?:{_YEAR_NUM})年(?:的|底|末)?"
_PLAN_NAME = r"[“\"'‘]?(?:十[一二三四五六七八九]?|[一二三四五六七八九])五[”\"'’]?"
GAP_TOKENS = (
    "同比", "比上年", "较上年", rf"[比较]{_YEAR_TOKEN}", "分别", "均", "都", "年均", "平均", "累计", "预计", "预期",
    "首次", "历史性地?", "实现了?", "完成了?", "达到了?", "达", "为", "是", "突破", "超过", "超", "高于",
    "增长率?", "增速", "增幅", "增加", "提高", "提升", "上升", "下降", "降低", "减少", "回落", "了", "至", "到",
    "共计?", "合计", "约", "近", "从", "由", _YEAR_TOKEN, "的", "力争", "确保", "争取", "保持", "控制在", "稳定在",
    "在", "以上", "左右", "[、和及与]", r"\s",
    # family 6 (thresholds): '迈上5000亿元台阶', '跨过2万亿元'
    "迈上", "跨过", "跨上", "站上", "跃上", "越过",
    # family 7 (five-year figures): '五年增长28.4%', '较“十三五”增长15.2%', '平均每年增长'
    "五年", "每年", rf"[比较]{_PLAN_NAME}(?:时期|期间)?(?:末)?",
    # family 2 (targets): '经济增长预期目标6.5%－7%'
    # a continuing clause naming the subject again: '…，全年达到1949亿美元', '总额首次突破…'
    "全年", "总额", "总量",
    "(?:预期|主要)?目标(?:为|是)?", "(?:宏观)?调控目标", "在[^，,。；;：:]{1,16}?的?基础上", "定为", "增长幅度", "上年的?", "却",
    # family 8 (comparable basis): '增长1.5%（同口径增长2.8%以上）'; real growth '实际增长'
    "[（(]", "同口径", "可比口径", "按可比价格计算", "(?:扣除|考虑)[^，,。；;、]{0,10}?因素", "实际", "名义",
    "将",
)
GAP_RE = re.compile("(?:" + "|".join(GAP_TOKENS) + ")*")
PREFIX_TOKENS = (
    "全年", "全区", "全县", "全市", "全省", "全国", "全镇", "全社会", "我区", "我县", "我市", "今年", "去年", "当年",
    "明年", "同期", _YEAR_TOKEN, "到", "实现了?", "完成了?", "累计", "力争", "确保", "争取", "预计", "努力",
    "推动", "促进", "使", "其中", r"\s",
    # family 7: '五年累计…', '“十五”期间年均…'
    "这?五年(?:内|间)?", "年均", "平均每年", rf"{_PLAN_NAME}(?:计划)?(?:期间|时期)", "我国", "全国", "(?:今年|明年|去年)的",
    # a framing verb before the subject: '中央提出今年…', '今年计划…'
    "(?:中央|国家|国务院|政府)?(?:提出|计划|规定|确定|要求|安排)", "而",
)
GROWTH_RE = re.compile("增长率?|增速|增幅|增加|提高|提升|上升|回升")
DECLINE_RE = re.compile("下降|降低|减少|回落")
TO_LEVEL_RE = re.compile("(?:增长|增加|提高|提升|上升|下降|降低|减少|回落)(?:到|至)")
PRE_QUALIFIERS = ("首次突破", "首次超过", "首次达到", "突破", "超过", "高于", "约", "近", "首次", "迈上", "跨过")
FORECAST_RE = re.compile("预计")
# tense markers of completion: what was aimed at and is now done
ACHIEVED_RE = re.compile(r"(?:实现|完成|超额完成|达到|好于)[^，,。；;]{0,10}?(?:目标|预期)")
YEAR_SPAN_RE = re.compile(rf"从({_YEAR_NUM})年?[到至]({_YEAR_NUM})年的?[一二三四五六七八九十\d]+年间")
SHARE_FROM_RE = re.compile("来自|来源于|用于|集中在|集中于")
# a clause comparing with other years ('超过1979年到1997年的总和', '相当于2010年的两倍')
COMPARISON_CLAUSE_RE = re.compile("超过|相当于|高于|低于|是")
# family 7: a value over a span of years, on average or in total
AVERAGE_RE = re.compile("年均|平均每年|每年平均|平均")
CUMULATIVE_RE = re.compile(rf"累计|五年|[比较]{_PLAN_NAME}")
# family 8: a value restated on a comparable basis
COMPARABLE_RE = re.compile("同口径|可比口径")
# families 5 and 7: '与2020年相比，…' sets the start of every from–to and growth of the sentence
OWN_COMPARISON_RE = re.compile("比上年|较上年|同比|比去年|上年同期")
SENTENCE_BASE_RE = re.compile(rf"[同与较比]({_YEAR_NUM})年(?:末)?相比")
REAL_TERMS_RE = re.compile("实际增长|实际下降")
# family 5: '从9.7万亿元提高到12.6万亿元'
FROM_RE = re.compile("从|由")
TO_RE = re.compile("[到至]")
# family 2: a condition written inside a target ('在提高质量和效益的基础上')
# and a price condition of a real growth ('考虑价格下降因素'): neither counts toward the gap's length
CONDITION_RE = re.compile("在[^，,。；;：:]{1,16}?的?基础上|(?:扣除|考虑)[^，,。；;、]{0,10}?因素")
# family 2: a stretch goal after the target ('6%左右、力争7%')
STRETCH_RE = re.compile("力争|争取|努力")
# family 6: a bound passed ('突破3000亿元') before the level reached ('达到3185亿元')
THRESHOLD_RE = re.compile("突破|超过|跨过|迈上|跨上|站上|跃上|越过")
REACH_RE = re.compile("达到|达|为|实现|完成")
# family 2: modifiers written before the value
AT_LEAST_RE = re.compile("突破|超过|高于|不低于|迈上|跨过|跨上|站上|跃上|越过")
AT_MOST_RE = re.compile("不超过|不高于|低于")
ABOUT_RE = re.compile("约|近|大约")
# family 9: '不设具体增长目标', '不提出全年经济增速具体目标'
NOT_SET_RE = re.compile(r"不(?:再)?(?:设|设定|设置|提出|确定|制定)(?P<what>[^，,。；;：:]{0,16}?)目标")
# a part of the place (a pilot, a park) whose figures a following clause may give
# ('X试点有序推进': the part is the clause's subject, followed by an adverb and its predicate)
SUB_SCOPE_RE = re.compile(
    "(?:试点|园区|开发区|高新区|小镇|基地|综保区|保税区|自贸区|口岸|平台)(?:工作|建设)?"
    "(?:有序|顺利|稳步|加快|全面|持续|扎实|高效)(?:推进|运行|运营|实施|开展)")
OWN_SCOPE_RE = re.compile("全(?:区|县|市|省|国|年)|全社会|我(?:区|县|市|省)")
PLAN_SINCE_RE = re.compile(r"[“\"'‘](?P<n>十[一二三四五六七八九]?|[六七八九])五[”\"'’](?:时期)?以来")
PLAN_PERIOD_RE = re.compile(r"(?<![比较])(?<![比较][“\"'‘])[“\"'‘]?(?P<n>十[一二三四五六七八九]?|[六七八九])五[”\"'’]?(?:计划)?(?:期间|时期)")
PAIR_ABBREV_RE = re.compile(r"(?:其中)?[，,]?(?P<pair>(?:城镇|城市)(?:居民)?[、和与及](?:农村|乡村)(?:居民)?)")
NATIONAL_REGIONS = {"全国", "中国", "中华人民共和国"}
# a province-level place: its own report's 全省 is itself
PROVINCE_RE = re.compile(r"[^省市县区]{2,7}(?:省|自治区)|北京市|天津市|上海市|重庆市")
TARGET_RE = re.compile(
    rf"力争|确保|争取|预期目标|主要目标|目标为|目标是|目标[:：]|力求|努力|今年|明年|将|(?<![加长高升降少年])[到至]{_YEAR_TOKEN}"
)

# document phases: (status, first year offset, last year offset) from the report's year
PHASES = {
    "review_1y": ("actual", -1, -1),
    "review_5y": ("actual", -5, -1),
    "plan_1y": ("target", 0, 0),
    "plan_5y": ("target", 0, 4),
}
_INITIAL = r"(?<![^\s,，。;；:：、])"  # at the start of a clause: '五年来,…', not '清理近五年…'
PHASE_CUES = [
    ("review_5y", re.compile(_INITIAL + "(?:过去五年|过去的五年|五年来|五年以来|本届政府任期|(?:——)?这五年)")),
    # a plan period's review heading: '一、“十一五”时期国民经济和社会发展的回顾'
    ("review_5y", re.compile(r"[“\"'‘](?:十[一二三四五六七八九]?|[六七八九])五[”\"'’](?:时期|期间|计划)?[^。；;]{0,16}回顾")),
    ("review_1y", re.compile(_INITIAL + r"(?:一年来|过去一年|过去的一年|去年|回顾(?:19|20)\d\d)")),
    ("plan_5y", re.compile(_INITIAL + "(?:今后五年|未来五年|五年内|今后5年|未来5年)")),
    ("plan_1y", re.compile(
        _INITIAL + r"(?:今年|新的一年|新一年|展望(?:19|20)\d\d|(?:19|20)\d\d年重点工作|(?:19|20)\d\d年(?:政府)?工作的?总体要求)"
    )),
    # a list of targets inside a five-year section stays five-year
    # ('…圆满实现全年主要预期目标' in a review looks back: _update_phase skips a target met)
    ("plan_1y_soft", re.compile("主要预期目标")),
]
# every cue above (and the year review cue of _update_phase) contains one of
# these words; a sentence without any cannot move the phase
PHASE_HINT_RE = re.compile(
    "过去|五年|本届政府任期|一年来|去年|回顾|今后|未来|今年|新的一年|新一年|展望|年重点工作|总体要求|主要预期目标"
)
YEAR_REVIEW_RE = re.compile(r"((?:19|20)\d\d)年(?:国内)?(?:工作)?的?回顾|回顾((?:19|20)\d\d)|过去的((?:19|20)\d\d)年")
CLAUSE_SPLIT_RE = re.compile(r"[,，:：](?!\d{3}(?!\d))")


@dataclass
class _Mention:
    start: int
    end: int
    surface: str
    name: MetricName
    measure_hint: str


@dataclass
class _Value:
    start: int
    end: int  # after the post-qualifier
    number: float
    unit: str
    post: str | None
    text: str
    high: float | None = None  # upper end of a range ('5%—5.5%')


@dataclass
class _DocCtx:
    doc_id: str
    region: str | None
    ref_year: int | None
    doc_type: str
    plan: _YearSpan | None
    phase: str | None = None


def literal_alternation(words) -> re.Pattern:
    """A regex matching any of the words, the longest one where several start at one position.

    The same matches as the alternation of the words longest first, written as
    a trie ('生产总值|生产率' as '生产(?:总值|率)'): Python's regex engine tries an
    alternation's branches one by one at every position, so a trie, which
    tries one branch per character, scans about twice as fast.

    Args:
        words: Non-empty literal strings; an empty collection matches nothing.
    """
    trie: dict = {}
    for word in words:
        if not word:
            raise ValueError("literal_alternation: empty word")
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here

    def pattern(node: dict) -> str:
        branches = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # greedy: a longer word is tried first, ending here is the fallback
        if "" in node:
            body = body + "?" if len(branches) == 1 and len(branches[0]) == 1 else "(?:" + body + ")?"
        return body

    return re.compile(pattern(trie) if trie else "(?!)")


class _Matcher:
    """Finds metric names in a clause, longest first."""

    def __init__(self, names: dict[str, MetricName]):
        self.names = names
        self.re = literal_alternation(names)
        # the urban and rural keys a metric splits into (居民人均可支配收入 -> urban, rural)
        self.splits = {k: n.split_keys for n in names.values() if n.split_keys for k in n.keys}

    def abbreviated_pair(self, text: str, start: int, end: int, previous: list[_Mention] | None) -> _Mention | None:
        """Family 4: '…居民人均可支配收入增长8.5%，其中城镇、农村分别增长7.9%、9.4%' names the urban and
        rural parts of the previous clause's metric; a mention of both, or None."""
        if not previous or len(previous) != 1:
            return None
        m = PAIR_ABBREV_RE.match(text, start, end)
        split = self.splits.get(previous[0].name.keys[0]) if len(previous[0].name.keys) == 1 else None
        if m is None or not split:
            return None
        prev = previous[0].name
        name = MetricName(surface=m.group("pair"), keys=split, measure_hint=prev.measure_hint, split_keys=(),
                          core=prev.core)
        return _Mention(m.start("pair"), m.end("pair"), m.group("pair"), name, prev.measure_hint)

    def find(self, clause: str) -> list[_Mention]:
        found = [
            _Mention(m.start(), m.end(), m.group(), self.names[m.group()], self.names[m.group()].measure_hint)
            for m in self.re.finditer(clause)
        ]
        # 'A占B比重' / 'A占比' is a share of A whatever B is (服务业增加值占生产总值比重)
        for m in re.finditer(r"占(?:[^,，:：;；。、]{0,14}?)(?:的)?比(?:重|例)|占比", clause):
            if any(f.start < m.start() < f.end for f in found):
                continue  # the share is a name of its own (R&D经费支出占GDP比重)
            num = [f for f in found if f.end == m.start()]
            inside = [f for f in found if m.start() <= f.start < m.end()]
            for f in inside + num:
                found.remove(f)
            if num:
                f = num[0]
                found.append(_Mention(f.start, m.end(), clause[f.start:m.end()], f.name, "share_pct"))
        return sorted(found, key=lambda f: f.start)


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    pos = start
    for m in CLAUSE_SPLIT_RE.finditer(text, start, end):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, end))
    return [(s, e) for s, e in out if e > s]


def _only_tokens(s: str, tokens_re: re.Pattern) -> bool:
    return tokens_re.fullmatch(s) is not None


PREFIX_RE = re.compile("(?:" + "|".join(PREFIX_TOKENS) + ")*")


def _values(text: str, s: int, e: int) -> list[_Value]:
    out = []
    for m in PCT_WORDS_RE.finditer(text, s, e):
        num = parse_number(m.group("num"))
        high = parse_number(m.group("high")) if m.group("high") else None
        if num is not None:
            out.append(_Value(m.start(), m.end(), num, "%", m.group("post"), m.group(),
                              high if high is not None and high > num else None))
    for m in VALUE_RE.finditer(text, s, e):
        num = parse_number(m.group("num"))
        if num is None:
            continue
        high = float(m.group("high")) if m.group("high") else None
        if high is not None and high <= num:
            high = None  # '2-1' is no range; keep the first number as written
        if any(o.start <= m.start() < o.end for o in out):
            continue  # inside 百分之…
        post = m.group("post") or m.group("more")
        out.append(_Value(m.start(), m.end(), num, m.group("unit"), post, text[m.start():m.end()], high))
    return sorted(out, key=lambda v: v.start)


def _region_names(region: str | None) -> list[str]:
    if not region:
        return []
    parts = re.findall(r"[^省市区县]+[省市区县]", region)
    names = {region, *parts}
    names |= {p[:-1] for p in parts if len(p) > 2}
    return sorted(names, key=len, reverse=True)


def _city_of(region: str | None) -> str | None:
    if not region:
        return None
    m = re.match(r"(.+?市)(?=.)", region)
    return m.group(1) if m else region


# the document columns _doc_ctx reads
_DOC_COLUMNS = ("doc_id", "doc_type", "year", "event_date", "title", "region")


def _doc_ctx(doc: dict, cfg: IndicatorConfig) -> _DocCtx:
    doc_type = doc.get("doc_type") or "other"
    year = doc.get("year")
    year = int(year) if year is not None and not pd.isna(year) else None
    ev = doc.get("event_date")
    ev = ev if isinstance(ev, date) else (pd.Timestamp(ev).date() if ev is not None and not pd.isna(ev) else None)
    ref = year
    if doc_type in REPORT_TYPES and ev is not None:
        ref = ev.year + (1 if ev.month >= cfg.late_meeting_month else 0)
    plan = None
    if doc_type == "five_year_plan":
        start = _plan_start(doc.get("title") or "") or year
        if start is not None:
            plan = _YearSpan(start, start + 4)
            ref = start
    return _DocCtx(doc["doc_id"], doc.get("region"), ref, doc_type, plan)


def _plan_start(title: str) -> int | None:
    m = re.search(r"第?([一二三四五六七八九十]+)个?五年", title)
    if not m:
        return None
    n = parse_number(m.group(1))
    # the 3rd plan began in 1966 after the 1963-65 readjustment; every later one follows on
    return int(1966 + 5 * (n - 3)) if n and n >= 3 else None


def _update_phase(ctx: _DocCtx, sentence: str) -> bool:
    """Moves the document's phase on the cues of a sentence; True if a cue was seen."""
    if PHASE_HINT_RE.search(sentence) is None:
        return False
    best = None
    for phase, rx in PHASE_CUES:
        for m in rx.finditer(sentence):
            if phase == "plan_1y_soft" and ACHIEVED_RE.search(sentence, max(0, m.start() - 14), m.end()):
                continue  # a target met is looked back on, not set
            if best is None or m.start() >= best[0]:
                best = (m.start(), phase)
    for m in YEAR_REVIEW_RE.finditer(sentence):
        y = int(m.group(1) or m.group(2) or m.group(3))
        if ctx.ref_year is not None and y == ctx.ref_year - 1 and (best is None or m.start() >= best[0]):
            best = (m.start(), "review_1y")
    if best is None:
        return False
    phase = best[1]
    if phase == "plan_1y_soft":
        if ctx.phase == "plan_5y":
            return True
        phase = "plan_1y"
    ctx.phase = phase
    return True


def _status_and_period_from_phase(ctx: _DocCtx) -> _Period | None:
    """The _Period (status, year, start_year, end_year) the document's current phase implies."""
    if ctx.ref_year is None:
        return None
    if ctx.doc_type == "five_year_plan" and ctx.phase is None and ctx.plan:
        return _Period("target", ctx.plan.end, ctx.plan.start, ctx.plan.end)
    phase = ctx.phase
    if phase is None:
        if ctx.doc_type in REPORT_TYPES:
            phase = "review_1y"  # reports open with last year's results
        else:
            return _Period("actual", ctx.ref_year, ctx.ref_year, ctx.ref_year)
    status, a, b = PHASES[phase]
    return _Period(status, ctx.ref_year + b, ctx.ref_year + a, ctx.ref_year + b)


def _measure(gap: str, unit: str, hint: str, prev: str | None) -> str | None:
    """What a value measures, from the words before it and the metric's hint."""
    _, base = split_unit(unit)
    to_level = TO_LEVEL_RE.search(gap) is not None
    growth = (GROWTH_RE.search(gap) or DECLINE_RE.search(gap)) and not to_level
    if base == "%":
        if to_level and prev == "growth_pct":
            return "growth_pct"  # family 5 for rates: '增幅由58.6%回落到27.8%'
        if growth or hint == "growth_pct":  # family 3: '经济增长5%左右' names the growth itself
            return "growth_pct"
        if hint == "share_pct":
            return "share_pct"
        if prev in ("growth_pct", "share_pct") and not re.search("达|为|到", gap):
            return prev
        return None
    if base == "百分点" or growth:
        return None  # a change in points or an absolute increase: not read
    if hint in ("level", "per_capita"):
        return hint if base in CURRENCY else None
    if hint == "count":
        return hint if base not in CURRENCY else None
    return None


def _qualifier(gap: str, value: _Value) -> str | None:
    if value.post:
        return value.post
    tail = gap[-6:]
    for q in PRE_QUALIFIERS:
        if q in tail:
            return q
    return None


MIN_YEAR, MAX_YEAR = 1949, 2100


def extract_indicators(
    documents: pd.DataFrame, paragraphs: pd.DataFrame, cfg: IndicatorConfig = IndicatorConfig()
) -> IndicatorResult:
    """Extracts indicator statements from the running text of documents.

    Args:
        documents: Documents (doc_id, doc_type, region, year, event_date, title).
        paragraphs: Kept paragraphs (doc_id, para_id, kind, text); only
            cfg.kinds are read, and rows with is_duplicate True are skipped.
        cfg: Extraction settings.

    Returns:
        IndicatorResult with the indicators table (schema ``indicators``),
        ordered by document order, para_id and position in the paragraph.
    """
    names = load_metric_keys(cfg.metric_keys_path)
    stats = {"paragraphs_in": len(paragraphs), "paragraphs_read": 0, "sentences": 0, "indicators": 0, "core": 0,
             reasons.DROPPED_NO_PERIOD: 0, reasons.DROPPED_OUTSIDE_REGION: 0, reasons.DROPPED_UNZIPPABLE_LIST: 0,
             reasons.DROPPED_THRESHOLD: 0, reasons.DROPPED_SUB_SCOPE: 0, reasons.DROPPED_STRETCH_TARGET: 0}
    rows: list[dict] = []
    reader = _Reader(_Matcher(names), cfg, stats)
    paras = kept_paragraphs(paragraphs, kinds=cfg.kinds)
    # each document's paragraphs in para_id order (ties in table order); plain
    # lists, since per-document DataFrame slicing costs more than reading short texts
    by_doc: dict[str, list[tuple[int, str]]] = {}
    for doc_id, para_id, text in zip(paras["doc_id"].tolist(), paras["para_id"].tolist(), paras["text"].tolist()):
        if not isinstance(doc_id, str) and pd.isna(doc_id):
            continue  # a paragraph without a document (NaN doc_id) belongs to none
        by_doc.setdefault(doc_id, []).append((para_id, text))
    for paras_of_doc in by_doc.values():
        paras_of_doc.sort(key=lambda p: p[0])  # stable
    to_read: list[tuple[dict, list[tuple[int, str]]]] = []
    # only the columns _doc_ctx reads: a record of every column costs more than the reading of most documents
    doc_columns = [c for c in _DOC_COLUMNS if c in documents.columns]
    for doc in documents[doc_columns].to_dict("records"):
        # pandas gives NaN for a missing string (e.g. a document with no region)
        doc = {k: (None if not isinstance(v, (list, tuple)) and pd.isna(v) else v) for k, v in doc.items()}
        g = by_doc.get(doc["doc_id"])
        if g is not None:
            to_read.append((doc, [(int(p), t if isinstance(t, str) else "") for p, t in g]))
    # every paragraph's sentences in one pass, rather than one walk per paragraph
    spans = iter(paragraph_sentence_spans([t for _, g in to_read for _, t in g]))
    for doc, g in to_read:
        ctx = _doc_ctx(doc, cfg)
        for para_id, text in g:
            stats["paragraphs_read"] += 1
            rows.extend(_read_paragraph(reader, ctx, para_id, text, next(spans)))
    cols = column_names("indicators")
    df = pd.DataFrame(rows, columns=cols)
    # a year outside the plausible range is a misread number (or mangled text), not a period
    years = df[["year", "start_year", "end_year"]].apply(pd.to_numeric, errors="coerce")
    implausible = ((years < MIN_YEAR) | (years > MAX_YEAR)).any(axis=1)
    # 'from 2012 to 2012, growing 3.2% a year' (garbled text) has no valid period
    backwards = (years["start_year"] > years["end_year"]).fillna(False)
    stats[reasons.DROPPED_IMPLAUSIBLE_YEAR] = int(implausible.sum())
    stats[reasons.DROPPED_INCONSISTENT_PERIOD] = int((backwards & ~implausible).sum())
    df = df[~(implausible | backwards)].reset_index(drop=True)
    if cfg.core_only:
        df = df[df["is_core"]].reset_index(drop=True)
    df = df.astype({"para_id": "int32", "sent_id": "int32", "char_start": "int32", "char_end": "int32",
                    "year": "Int32", "start_year": "Int32", "end_year": "Int32", "value": "float64",
                    "value_base": "float64", "is_core": "bool", "value_high": "float64",
                    "is_comparable_basis": "bool"})
    df = with_region_codes(df, documents)  # issue 14: the document's code beside its region
    stats["indicators"] = len(df)
    stats["core"] = int(df["is_core"].sum())
    return IndicatorResult(indicators=df, stats=stats)


@dataclass
class _Reader:
    """What reading needs besides the text: the metric names, the settings and the counts it adds to."""

    matcher: _Matcher
    cfg: IndicatorConfig
    stats: dict[str, int]

    def read_paragraph(self, ctx: _DocCtx, para_id: int, text: str) -> list[dict]:
        """Rows of one paragraph, read sentence by sentence; moves the document's phase."""
        return _read_paragraph(self, ctx, para_id, text)


def _read_paragraph(reader: _Reader, ctx: _DocCtx, para_id: int, text: str,
                    spans: list[tuple[int, int]] | None = None) -> list[dict]:
    """Rows of one paragraph (see _Reader.read_paragraph); spans: its sentence_spans, when already known."""
    matcher, cfg, stats = reader.matcher, reader.cfg, reader.stats
    rows: list[dict] = []
    if spans is None:
        spans = sentence_spans(text)
    if matcher.re.search(text) is None and NOT_SET_RE.search(text) is None:
        # no metric name in the paragraph, so none in any sentence: no rows,
        # and the years carried between sentences date nothing; only phase cues
        # (which outlive the paragraph) matter. Most paragraphs take this path.
        stats["sentences"] += len(spans)
        if PHASE_HINT_RE.search(text) is not None:
            for ss, se in spans:
                _update_phase(ctx, text[ss:se])
        return rows
    frame: _Frame | None = None  # lead clause of a ';' list: its text and years
    carried: list[tuple[int, int]] = []  # (sentence index, year) stated earlier in the paragraph
    bases: list[tuple[int, int]] = []  # (sentence index, year compared with: '1986年同1978年相比')
    for sent_id, (ss, se) in enumerate(spans):
        stats["sentences"] += 1
        sentence = text[ss:se]
        if _update_phase(ctx, sentence):
            carried = [(i, y) for i, y in carried if i == sent_id]  # a new phase outdates older years
            bases = []
        base = SENTENCE_BASE_RE.search(sentence)
        if base is not None:
            bases.append((sent_id, parse_year(base.group(1))))
        near_bases = [y for i, y in bases if sent_id - i <= cfg.carry_sentences]
        where = _Where(ctx, para_id, sent_id, text, ss, se, None, frame,
                       [y for i, y in carried if sent_id - i <= cfg.carry_sentences],
                       near_bases[-1] if near_bases else None)
        found = _read_sentence(reader, where)
        rows.extend(found[0])
        if found[1] is not None:
            carried.append((sent_id, found[1]))
        # a sentence ending in ';' leaves its lead clause ('…目标为:') over the next ones
        if sentence.endswith((";", "；")):
            if frame is None:
                colon = max(sentence.rfind(":"), sentence.rfind("："))
                if colon > 0:
                    lead = sentence[:colon]
                    frame = _Frame(lead, [sy.year for sy in stated_years(lead)])
        else:
            frame = None
    return rows


@dataclass
class _Candidate:
    """A value paired with the metric group it follows, before it becomes a row."""

    value: _Value
    gap: str  # words between the metric group and the value
    group: list[_Mention]
    measure: str
    qualifier: str | None
    value_year: int | None  # a year written right before the value
    span: str | None  # 'average' (年均) or 'cumulative' (累计, 五年, 较'十三五') or None
    comparable: bool = False  # a 同口径 restatement
    base_year: int | None = None  # '比2002年增长…': the year compared with
    plan: _YearSpan | None = None  # '“六五”期间…': the plan period the value covers


@dataclass(frozen=True)
class _Period:
    """When a value holds and whether it is achieved: status, year span and its kind."""

    status: str
    year: int
    start_year: int
    end_year: int
    kind: str = "year"


@dataclass
class _SentenceState:
    """What reading a sentence gathers, clause after clause."""

    # the last metric group seen in this sentence, continued by clauses without a metric
    last_group: list[_Mention] | None = None
    # value gaps: years there date one value, not the sentence
    claimed: list[tuple[int, int]] = field(default_factory=list)
    pending: list[_Candidate] = field(default_factory=list)
    sent_mentions: list[_Mention] = field(default_factory=list)


def _read_sentence(reader: _Reader, where: _Where) -> tuple[list[dict], int | None]:
    """Reads one sentence; returns its rows and the year it states (for later sentences).

    Args:
        reader: Metric names, settings and counts.
        where: The sentence, its document and the years around it (sent_year still unset;
            base_year the year this sentence or one shortly before it compares with).
    """
    text, ss, se = where.text, where.ss, where.se
    absent = _not_set_rows(where)
    if reader.matcher.re.search(text, ss, se) is None or (
            VALUE_RE.search(text, ss, se) is None and PCT_WORDS_RE.search(text, ss, se) is None):
        # no metric name or no value (in any clause, hence in the sentence):
        # nothing to pair, and no value gap hides a year from stated_years
        s_years = stated_years(text[ss:se])
        return absent, (s_years[0].year if s_years else None)
    clauses = _clauses(text, ss, se)
    state = _SentenceState()
    for cs, ce in clauses:
        _read_clause(reader, where, state, cs, ce)
    where = _with_sentence_year(where, clauses, state.claimed)
    rows = absent + _assign(where, state.pending, state.sent_mentions, reader.stats)
    return rows, where.sent_year


def _read_clause(reader: _Reader, where: _Where, state: _SentenceState, cs: int, ce: int) -> None:
    """Pairs the values of the clause text[cs:ce] with metric groups, adding candidates to state."""
    text = where.text
    clause = text[cs:ce]
    mentions = [_Mention(m.start + cs, m.end + cs, m.surface, m.name, m.measure_hint)
                for m in reader.matcher.find(clause)]
    values = _take_shares(text, cs, _values(text, cs, ce), mentions, state)
    if not mentions:
        pair = reader.matcher.abbreviated_pair(text, cs, ce, state.last_group)
        if pair is not None:
            mentions = [pair]
    groups = _groups(text, mentions)
    state.sent_mentions.extend(mentions)
    prefix_ok = _subject_in_scope(where, groups, cs, reader.stats)
    _pair_values(reader, where, state, cs, values, groups, prefix_ok)
    if groups:
        # a subject rejected for its scope ('公共财政收入', '全民所有制单位…') is continued by nothing
        state.last_group = groups[-1] if (prefix_ok or len(groups) > 1) else None
    elif not values and not _only_tokens(clause, GAP_RE):
        # a clause with a subject of its own ('预算外资金却大幅度增加') ends the previous one's reach
        state.last_group = None


def _take_shares(text: str, cs: int, values: list[_Value], mentions: list[_Mention],
                 state: _SentenceState) -> list[_Value]:
    """Share pattern '全市12.4%的生产总值': pairs such values with the metric after them
    (removed from mentions); returns the clause's other values."""
    share_vals = set()
    for v in values:
        if split_unit(v.unit)[1] == "%" and text.startswith("的", v.end):
            m = next((m for m in mentions if m.start == v.end + 1 and m.measure_hint != "growth_pct"), None)
            if m is not None and SHARE_FROM_RE.match(text, m.end):
                # '80%以上的财政收入来自城市工商业': a part of the metric from elsewhere, not a share of it
                mentions.remove(m)
                share_vals.add(id(v))
            elif m is not None:
                share_vals.add(id(v))
                state.pending.append(_Candidate(v, "", [m], "share_pct", None, None, None))
                state.claimed.append((cs, m.end))
                mentions.remove(m)
    return [v for v in values if id(v) not in share_vals]


def _subject_in_scope(where: _Where, groups: list[list[_Mention]], cs: int, stats: dict[str, int]) -> bool:
    """Whether the clause's first metric group speaks of the document's own scope (True without groups)."""
    if not groups:
        return True
    text = where.text
    prefix = text[cs:groups[0][0].start]
    if not _prefix_ok(prefix, where.ctx):
        return False
    # precision (a subject from another clause): in '…贸易方式试点有序推进,实现出口52.76亿元'
    # the value is the pilot's, named in an earlier clause, unless the clause names its own scope
    if SUB_SCOPE_RE.search(text, where.ss, cs) and not OWN_SCOPE_RE.search(prefix):
        stats[reasons.DROPPED_SUB_SCOPE] += 1
        return False
    return True


def _pair_values(reader: _Reader, where: _Where, state: _SentenceState, cs: int, values: list[_Value],
                 groups: list[list[_Mention]], prefix_ok: bool) -> None:
    """Pairs each value with the nearest metric group before it in the clause, else the sentence's last."""
    text = where.text
    cursor = cs
    group: list[_Mention] | None = None
    prev_measure = None
    prev_end = None
    for v in values:
        # a number belongs to the nearest metric group before it in its own clause,
        # else to the sentence's last one (',增长8.3%' continues '生产总值716亿元')
        before = [gr for gr in groups if gr[-1].end <= v.start]
        if before:
            gr = before[-1]
            if group is not gr:
                group, prev_measure, prev_end = gr, None, None
                cursor = gr[-1].end
                if not prefix_ok and gr is groups[0]:
                    group = None
        elif state.last_group is not None and group is None:
            group = state.last_group
            cursor = cs
        if group is None:
            continue
        start_gap = prev_end if prev_end is not None else cursor
        gap = text[start_gap:v.start]
        # family 2 (targets): '预期目标是在明显提高质量和效益的基础上年均增长7%' — the basis phrase
        # is a condition of the target, not part of the path from subject to number
        if len(CONDITION_RE.sub("", gap)) > reader.cfg.max_gap_chars or not _only_tokens(gap, GAP_RE):
            prev_end = None
            continue
        # a level's kind (per_capita, count) is settled per metric once a list is zipped
        measure = _measure(gap, v.unit, group[0].measure_hint, prev_measure)
        if measure is None:
            prev_end = v.end
            continue
        state.pending.append(_candidate(text, cs, cursor, v, gap, group, measure, state.pending))
        state.claimed.append((start_gap, v.end))
        prev_measure, prev_end = measure, v.end


def _candidate(text: str, cs: int, cursor: int, v: _Value, gap: str, group: list[_Mention], measure: str,
               pending: list[_Candidate]) -> _Candidate:
    """The candidate for value v of group, gap the words between them (from the previous value on)."""
    full_gap = text[cursor:v.start]
    # a year right before the value dates it (从2016年的…, 增加到2021年的…)
    vyears = [parse_year(m.group(1)) for m in re.finditer(rf"(?<![比较])({_YEAR_NUM})年", gap)]
    # '比2002年增长65.5%': a growth since a base year covers the years after it
    base = [parse_year(m.group(1)) for m in re.finditer(rf"[比较]({_YEAR_NUM})年", gap)]
    scope = text[cs:group[0].start] if group[0].start >= cs else ""
    return _Candidate(
        v, full_gap, group, measure, _qualifier(gap, v), vyears[-1] if vyears else None,
        # the subject itself may carry the span word ('经济年均增长')
        _span_of(scope + group[-1].surface + gap) or ("cumulative" if base else None),
        _is_restatement(gap, group, measure, pending), base[-1] if base else None, _plan_years(scope + gap))


def _with_sentence_year(where: _Where, clauses: list[tuple[int, int]], claimed: list[tuple[int, int]]) -> _Where:
    """where with the sentence's own year (stated outside the value gaps) and the base year it keeps."""
    text, ss, se = where.text, where.ss, where.se
    comparisons = [(cs, ce) for cs, ce in clauses if COMPARISON_CLAUSE_RE.match(text, cs)]
    s_years = [
        sy for sy in stated_years(text[ss:se])
        if not any(a <= ss + sy.position < b for a, b in claimed + comparisons)
    ]
    sent_year = s_years[0].year if s_years else None
    base_year = where.base_year
    if SENTENCE_BASE_RE.search(text, ss, se) is None and sent_year is not None:
        base_year = None  # a sentence with a year of its own is not a continuation of the comparison
    return replace(where, sent_year=sent_year, base_year=base_year)


def _is_restatement(gap: str, group: list[_Mention], measure: str, pending: list[_Candidate]) -> bool:
    """Family 8: a value restated on a comparable basis ('同口径增长2.8%'), or in real terms
    ('实际增长19.6%') after the same metric's value as reported in the sentence."""
    if COMPARABLE_RE.search(gap):
        return True
    return REAL_TERMS_RE.search(gap) is not None and any(
        p.group is group and p.measure == measure for p in pending)


def _span_of(gap: str) -> str | None:
    """'average' for 年均/平均每年, 'cumulative' for 累计/五年/较'十三五' (family 7), else None."""
    if AVERAGE_RE.search(gap):
        return "average"
    if CUMULATIVE_RE.search(gap):
        return "cumulative"
    return None


def _groups(text: str, mentions: list[_Mention]) -> list[list[_Mention]]:
    groups: list[list[_Mention]] = []
    for m in mentions:
        if groups and re.fullmatch(r"[、和与及]|以及", text[groups[-1][-1].end:m.start]):
            groups[-1].append(m)
        else:
            groups.append([m])
    return groups


def _prefix_ok(prefix: str, ctx: _DocCtx) -> bool:
    rest = prefix
    for name in _region_names(ctx.region):
        rest = rest.replace(name, "")
    return PREFIX_RE.fullmatch(rest) is not None


@dataclass(frozen=True)
class _Where:
    """The sentence being read and what dates it: its document, offsets and years around it."""

    ctx: _DocCtx
    para_id: int
    sent_id: int
    text: str
    ss: int
    se: int
    sent_year: int | None
    frame: _Frame | None
    carried: list[int]
    base_year: int | None = None  # '1986年同1978年相比，…': the year the sentence compares with

    @property
    def sentence(self) -> str:
        return self.text[self.ss:self.se]


def _targets(items: list[_Candidate], sent_mentions: list[_Mention], joined: bool = False):
    """The (mention, metric_key) each candidate of one run goes to, or None if they cannot be paired.

    Args:
        items: Candidates of one run (one metric group, measure and basis), in text order.
        sent_mentions: Every metric mention of the sentence, for lists whose subjects span clauses.
        joined: Whether the values are written as one list ('8.4%和8%'), which pairs like 分别.

    Returns:
        The items (repeated for 'A、B均增长8%') and their (mention, metric_key) targets, or None.
    """
    group = items[0].group
    flat = [(m, k) for m in group for k in m.name.keys]
    respectively = _is_respectively_list(items)
    earlier = [m for m in sent_mentions if m.end <= items[0].value.start and len(m.name.keys) == 1]
    split = group[0].name.split_keys
    if len(flat) == 1 and len(items) > 1 and split and len(items) == len(split):
        # family 4 (paired subjects): '城乡居民人均收入年均增长5.1%、7.4%' names two metrics
        # in one subject; as many values as it splits into go in order, with or without 分别
        return items, [(group[0], k) for k in split]
    if len(flat) == 1 and len(items) > 1 and (respectively or joined) and len(earlier) >= len(items):
        # family 4: '财政总收入…,其中一般公共预算收入…,分别增长12.1%和10.3%': the list spans clauses
        return items, [(m, m.name.keys[0]) for m in earlier[-len(items):]]
    if len(flat) == 1 and len(items) > 1:
        # one metric, several values of one measure: only a range over stated years
        years = [it.value_year for it in items]
        if None in years or len(set(years)) != len(years):
            return None
        return items, flat * len(items)
    if len(flat) == 1 or len(items) == len(flat):
        # family 4 (分别 lists): 'A、B分别增长4.3%、6.1%' zips subjects and numbers in order
        return items, flat
    if len(items) == 1 and re.search("均|都", items[0].gap):
        return items * len(flat), flat  # 'A、B均增长8%': one value for each
    return None


def _from_to_years(items: list[_Candidate], where: _Where) -> list[int | None] | None:
    """Family 5 (from–to): '从9.7万亿元提高到12.6万亿元' gives the start and the end of the
    period the sentence speaks of; a year written with either value wins. None if not a from–to pair."""
    if len(items) != 2 or not FROM_RE.search(items[0].gap) or not TO_RE.search(items[1].gap[-6:]):
        return None
    first, second = items[0].value_year, items[1].value_year
    if first is not None and second is not None:
        return [first, second]
    ph = _status_and_period_from_phase(where.ctx)
    end = second or where.sent_year or (ph.end_year if ph else None)
    if end is None:
        return None
    # a review of one year compares with the year before; a five-year review with the year before its start
    start = first or where.base_year or ((ph.start_year - 1) if ph and ph.end_year == end else end - 1)
    return [start, end]


def _assign(where: _Where, pending: list[_Candidate], sent_mentions: list[_Mention],
            stats: dict[str, int]) -> list[dict]:
    """Turns the sentence's (value, metric group) pairs into rows, zipping 分别 lists."""
    rows = []
    # values of one run share their group object; zip per group, measure and basis
    runs: dict[tuple[int, str, bool], list[_Candidate]] = {}
    last_key: dict[tuple, tuple] = {}
    for item in pending:
        # an average, a cumulative and an annual figure of one metric are different facts, not a list;
        # a value after a bare list separator ('7.8%、9.3%') stays in the list before it
        head = (id(item.group), item.measure, item.comparable)
        if head in last_key and where.text[item.value.start - 1] in "、和及与":
            key = last_key[head]
        else:
            key = head + ("average" if item.span == "average" else ("cumulative" if item.base_year else None),)
        last_key[head] = key
        runs.setdefault(key, []).append(item)
    for items in runs.values():
        items = _drop_thresholds(items, stats)
        items = _drop_stretch_targets(items, stats)
        years_of = _from_to_years(items, where)
        if years_of is not None:
            items = [replace(it, value_year=y) for it, y in zip(items, years_of)]
        # values written as one list ('8.4%和8%') pair with as many subjects before them, 分别 or not
        joined = all(where.text[a.value.end:b.value.start] in ("、", "和", "及", "与")
                     for a, b in zip(items, items[1:]))
        paired = _targets(items, sent_mentions, joined)
        if paired is None:
            stats[reasons.DROPPED_UNZIPPABLE_LIST] += len(items)
            continue
        items, targets = paired
        # '年均增长5.1%、7.4%': a span word before the first value of a list holds for all of it
        respectively = _is_respectively_list(items)
        items = [replace(it, span=it.span or items[0].span, base_year=it.base_year or items[0].base_year,
                         value_year=it.value_year or (items[0].value_year if respectively else None))
                 for it in items]
        # a qualifier written before the first value of a 分别 list holds for all of it
        lead_q = items[0].qualifier if respectively and items[0].qualifier in PRE_QUALIFIERS else None
        for it, (mention, mkey) in zip(items, targets):
            row = _row(where, it, mention, mkey, lead_q, stats)
            if row is not None:
                rows.append(row)
    return rows


def _is_respectively_list(items: list[_Candidate]) -> bool:
    """A 分别 list: its values share the year written before the first ('2000年分别达到2253元和6280元')."""
    return any("分别" in it.gap for it in items)


def _plan_years(words: str) -> _YearSpan | None:
    """Family 7: the plan period a value is stated for ('“六五”期间', '“十五”时期'), not one compared with."""
    m = PLAN_PERIOD_RE.search(words)
    if m is None:
        return None
    start = _plan_start_year(m.group("n"))
    return _YearSpan(start, start + 4) if start is not None else None


def _plan_start_year(numeral: str) -> int | None:
    """First year of the n-th five-year plan (六 -> 1981, 十四 -> 2021); None before the 6th."""
    n = parse_number(numeral)
    if not n or n < 6:
        return None  # the first plans do not follow the five-year grid
    return int(1966 + 5 * (n - 3))


def _drop_stretch_targets(items: list[_Candidate], stats: dict[str, int]) -> list[_Candidate]:
    """Family 2 (targets): in '地区生产总值增长6%左右、力争7%' the target is the first number;
    the one striven for after it is an aspiration, not a second value of the same fact."""
    if len(items) < 2:
        return items
    kept = [items[0]]
    for it in items[1:]:
        if STRETCH_RE.search(it.gap[-4:]) and it.value_year is None:
            stats[reasons.DROPPED_STRETCH_TARGET] += 1
            continue
        kept.append(it)
    return kept


def _drop_thresholds(items: list[_Candidate], stats: dict[str, int]) -> list[_Candidate]:
    """Family 6 (thresholds): in '突破3000亿元、达到3185亿元' the first number is a bound
    passed on the way and the second the level; the bound gives no row of its own."""
    if len(items) < 2:
        return items
    kept = []
    for i, it in enumerate(items):
        later = items[i + 1:]
        if THRESHOLD_RE.search(it.gap) and any(REACH_RE.search(o.gap) and o.measure == it.measure for o in later):
            stats[reasons.DROPPED_THRESHOLD] += 1
            continue
        kept.append(it)
    return kept


def _row(where: _Where, it: _Candidate, mention: _Mention, mkey: str, lead_q: str | None,
         stats: dict[str, int]) -> dict | None:
    """One indicators row for a paired candidate, or None when it has no period, is another place's
    or measures nothing the metric states."""
    ctx, text, ss = where.ctx, where.text, where.ss
    v = it.value
    before = where.sentence[: v.start - ss]
    plan = it.plan or _plan_years(before)  # '“六五”期间，进出口贸易总额…' names it a clause earlier
    if it.value_year is not None and it.span is None:
        plan = None  # '“八五”期间…，1995年达到57600多亿元': the value's own year wins
    since = PLAN_SINCE_RE.search(before)
    if plan is None and since is not None and ctx.ref_year is not None:
        # '“十四五”以来…年均增长6.5%': from the plan's first year to the year before the report
        start = _plan_start_year(since.group("n"))
        if start is not None and start < ctx.ref_year:
            plan = _YearSpan(start, min(start + 4, ctx.ref_year - 1))
    base_year, span = it.base_year, it.span
    if base_year is None and where.base_year is not None and it.measure == "growth_pct" and span != "average" \
            and not OWN_COMPARISON_RE.search(it.gap):
        base_year, span = where.base_year, "cumulative"
    period = _status_and_period(where, before, it.value_year, span, base_year, plan)
    if period is None:
        stats[reasons.DROPPED_NO_PERIOD] += 1
        return None
    region = _region(ctx, text[max(ss, mention.start - 4):mention.start] if mention.start >= ss else "")
    if region is False:
        stats[reasons.DROPPED_OUTSIDE_REGION] += 1
        return None
    factor, base = split_unit(v.unit)
    number, high = v.number, v.high
    measure = it.measure
    verbs = CONDITION_RE.sub("", it.gap)  # '考虑价格下降因素…增长9.3%' is no decline
    if measure == "growth_pct" and DECLINE_RE.search(verbs) and not TO_LEVEL_RE.search(verbs):
        number = -number  # 下降3.2% is a growth of -3.2
        if high is not None:
            number, high = -high, number  # 下降5%—6% runs from -6 to -5
    if measure in ("level", "per_capita", "count"):
        measure = _measure("", v.unit, mention.measure_hint, None)
        if measure is None:
            return None
    qualifier = it.qualifier or lead_q
    return _make_row(where, mention, mkey, measure, period, {
        "value": number, "unit": v.unit, "value_base": number * factor, "base_unit": base,
        "qualifier": qualifier, "value_text": v.text, "offset": v.start,
        "modifier": _modifier(it.gap, v, qualifier), "value_high": high,
        "is_comparable_basis": it.comparable,
    }, region)


def _make_row(where: _Where, mention: _Mention | None, mkey: str, measure: str, period: _Period, val: dict,
              region) -> dict:
    ctx = where.ctx
    return {
        "indicator_id": hashlib.sha256(
            f"{ctx.doc_id}|{where.para_id}|{val['offset']}|{mkey}|{measure}".encode()).hexdigest()[:16],
        "doc_id": ctx.doc_id,
        "para_id": where.para_id,
        "sent_id": where.sent_id,
        "region": region,
        "metric": mention.surface if mention is not None else val["metric"],
        "metric_key": mkey,
        "is_core": mention.name.core if mention is not None else val["is_core"],
        "measure": measure,
        "value": val["value"],
        "unit": val["unit"],
        "value_base": val["value_base"],
        "base_unit": val["base_unit"],
        "year": period.year,
        "start_year": period.start_year,
        "end_year": period.end_year,
        "status": period.status,
        "qualifier": val["qualifier"],
        "value_text": val["value_text"],
        "evidence": where.sentence,
        "char_start": where.ss,
        "char_end": where.se,
        "modifier": val["modifier"],
        "value_high": val["value_high"],
        "period_kind": period.kind,
        "is_comparable_basis": val["is_comparable_basis"],
    }


def _modifier(gap: str, v: _Value, qualifier: str | None) -> str:
    """Family 2 (modifiers): range, about (左右, 约), at_least (以上, 突破), at_most (以内), else point."""
    if v.high is not None:
        return "range"
    if v.post in ("左右", "上下"):
        return "about"
    if v.post in ("以上", "多"):
        return "at_least"
    if v.post in ("以下", "以内"):
        return "at_most"
    tail = gap[-8:]
    if AT_MOST_RE.search(tail):
        return "at_most"
    if AT_LEAST_RE.search(tail):
        return "at_least"
    if ABOUT_RE.search(tail):
        return "about"
    return "point"


def _not_set_rows(where: _Where) -> list[dict]:
    """Family 9 (explicit absence): '不设具体增长目标' is a growth target whose value is not set."""
    ctx, text, ss, se, carried = where.ctx, where.text, where.ss, where.se, where.carried
    rows = []
    for m in NOT_SET_RE.finditer(text, ss, se):
        if not re.search("增长|增速|经济", m.group("what")):
            continue
        s_years = stated_years(text[ss:se])
        year = s_years[0].year if s_years else (carried[-1] if carried else ctx.ref_year)
        if year is None:
            continue
        rows.append(_make_row(replace(where, sent_year=year, frame=None), None, "gdp", "growth_pct", _Period("target", year, year, year), {
            "metric": m.group(), "is_core": True, "value": None, "unit": None, "value_base": None,
            "base_unit": None, "qualifier": None, "value_text": m.group(), "offset": m.start(),
            "modifier": "not_set", "value_high": None, "is_comparable_basis": False,
        }, ctx.region))
    return rows


def _region(ctx: _DocCtx, prefix: str):
    """Region a statement is about: the document's, its city's for 全市; False for a wider place.

    全省 is the document's own place in a province's report (family 1: '全省生产总值4.8万亿元'),
    全国 in a national one; a document of unknown place keeps them with no region.
    """
    if "全国" in prefix:
        return ctx.region if ctx.region is None or ctx.region in NATIONAL_REGIONS else False
    if "全省" in prefix:
        return ctx.region if ctx.region is None or PROVINCE_RE.fullmatch(ctx.region) else False
    if "全市" in prefix:
        return _city_of(ctx.region)
    return ctx.region


def _status_and_period(where: _Where, before: str, vyear: int | None, span: str | None,
                       base_year: int | None = None, plan: _YearSpan | None = None) -> _Period | None:
    """Status (actual, target, forecast) and period of one value, or None if it cannot be dated.

    Tense markers before the value decide the status first (预计: forecast; 力争/目标/今年:
    target); else an explicit year against the report's year; else the section's phase.
    """
    ctx, frame, sentence = where.ctx, where.frame, where.sentence
    # '全面实现年初确定的主要目标，国内生产总值增长7.8%': a target met is a review, not a target
    lead = ACHIEVED_RE.sub("", (frame.lead if frame else "") + before)
    status = "forecast" if FORECAST_RE.search(lead) else ("target" if TARGET_RE.search(lead) else None)
    span_years = YEAR_SPAN_RE.search(before)
    if span_years and vyear is None and base_year is None and plan is None:
        # family 7: a growth over a stated span ('从1979年到1982年的四年间…增长…') covers it all
        y0, y1 = parse_year(span_years.group(1)), parse_year(span_years.group(2))
        if y0 and y1 and y0 < y1:
            if status is None:
                status = "actual" if ctx.ref_year is None or y1 < ctx.ref_year else "target"
            return _Period(status, y1, y0, y1, "plan_average" if span == "average" else "plan_cumulative")
    if plan is not None:
        # a plan period named with the value: its whole span, achieved if it ended before the report
        if status is None:
            status = "actual" if ctx.ref_year is None or plan.end < ctx.ref_year else "target"
        return _Period(status, plan.end, plan.start, plan.end, "plan_average" if span == "average" else "plan_cumulative")
    explicit = (vyear or where.sent_year or (frame.years[0] if frame and frame.years else None)
                or (where.carried[-1] if where.carried else None))
    if explicit is not None:
        y0 = explicit
        if span:
            # 年均 over a stated range (从2016年…到2021年) covers the years after its start
            ys = sorted(y for _, y, _ in stated_years(re.sub(r"从(?=(?:19|20)\d\d)", "", sentence)))
            if len(ys) >= 2:
                y0 = ys[0] + 1
                explicit = ys[-1]
            else:
                ph = _status_and_period_from_phase(ctx)
                if ph is not None and ph.year == explicit and ph.start_year < ph.end_year:
                    y0 = ph.start_year
                elif span == "average":
                    y0 = explicit - 4  # 年均 without its span stated: the five-year plan ending then
        if base_year is not None and base_year < explicit:
            y0 = base_year + 1
        if status is None:
            if ctx.ref_year is None:
                status = "actual"
            elif ctx.doc_type in REPORT_TYPES or ctx.doc_type == "five_year_plan":
                status = "actual" if explicit < ctx.ref_year else "target"
            else:
                status = "actual" if explicit <= ctx.ref_year else "target"
        return _Period(status, explicit, y0, explicit, _period_kind(span, y0, explicit))
    ph = _status_and_period_from_phase(ctx)
    if ph is None:
        return None
    year, y0, y1 = ph.year, ph.start_year, ph.end_year
    if span == "average" and y0 == y1:
        y0 = y1 - 4  # 年均 inside a one-year section: the five-year plan ending then
    if status is None:
        status = ph.status
    elif status == "target" and ph.status == "actual":
        # a target stated inside a review ('力争…') is for the report's year
        year = y0 = y1 = ctx.ref_year
    return _Period(status, year, y0, y1, _period_kind(span, y0, y1))


def _period_kind(span: str | None, y0: int, y1: int) -> str:
    """Family 7 (five-year figures): a 年均 or 累计 value over more than one year."""
    if span is None or y0 >= y1:
        return "year"
    return "plan_average" if span == "average" else "plan_cumulative"
