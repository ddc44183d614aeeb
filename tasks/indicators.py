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

``char_start``/``char_end`` are the offsets of the evidence *sentence* (from
tasks.sentences.sentence_spans) in the cleaned paragraph text, so
``text[char_start:char_end] == evidence``; ``value_text`` is the number and unit
as written.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import cn2an
import pandas as pd

from tasks.regions import with_region_codes
from tasks.schemas import column_names
from tasks.sentences import sentence_spans

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

CN_DIGITS = "零〇一二两三四五六七八九"
# magnitude prefixes stay in the unit as written (716.66亿元 -> 716.66, 亿元)
MAGNITUDES = {"万亿": 1e12, "千亿": 1e11, "百亿": 1e10, "亿": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4, "千": 1e3}
BASE_UNITS = {
    "美元": "美元", "元": "元", "%": "%", "％": "%", "个百分点": "百分点", "人": "人", "户": "户",
    "家": "家", "个": "个", "亩": "亩", "平方米": "平方米", "公里": "公里", "吨": "吨", "岁": "岁", "倍": "倍",
}
CURRENCY = {"元", "美元"}
_UNIT_RE = (
    "(?:万亿|千亿|百亿|亿|千万|百万|万|千)?(?:美元|元)|个百分点|[%％]"
    "|(?:万)?(?:人|户|亩|平方米|吨)|家|个|公里|岁|倍"
)
# a number not right after a digit, point or 第: written as 'first character,
# then the one before it is none of those' rather than a leading lookbehind, so
# that the regex engine can skip ahead to digits (the same matches, ~2x faster)
_NOT_AFTER = rf"(?<![\d.{CN_DIGITS}十百千第].)"
VALUE_RE = re.compile(
    rf"(?P<num>\d{_NOT_AFTER}\d*(?:\.\d+)?|[{CN_DIGITS}十百千]{_NOT_AFTER}[{CN_DIGITS}十百千]*(?:点[{CN_DIGITS}]+)?)"
    rf"(?P<unit>{_UNIT_RE})(?P<post>以上|以下|左右|以内|上下|多)?"
)


def parse_number(text: str) -> float | None:
    """Reads an Arabic or Chinese numeral (716.66, 千, 三十五, 二点五); None if it is not one."""
    try:
        return float(text)
    except ValueError:
        pass
    s = text
    if s[0] in "十百千":
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
YEAR_RE = re.compile(rf"(?P<pre>[到至比较与同自从]?)(?P<y>(?:19|20)\d\d|[{CN_DIGITS}]{{4}})年(?P<post>\d{{1,2}}月|以来|来|之前|以前|前|度)?")


def parse_year(text: str) -> int | None:
    """Reads a four-digit year in Arabic or Chinese digits (2025, 二〇三五)."""
    if text.isdigit():
        return int(text)
    digits = "".join(str("〇一二三四五六七八九".find(c)) if c != "零" else "0" for c in text)
    return int(digits) if digits.isdigit() and "-" not in digits else None


def stated_years(text: str) -> list[tuple[int, int, bool]]:
    """Years a text states as the period it speaks of.

    Dates (2022年2月), comparisons (比2025年), starting points (2014年以来,
    从2016年) and years inside book titles are left out.

    Returns:
        (position, year, is_deadline) triples; is_deadline for '到2025年'.
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
        y = parse_year(m.group("y"))
        if y is None or not 1949 <= y <= 2100:
            continue
        out.append((m.start(), y, m.group("pre") in {"到", "至"}))
    return out


# --- connective vocabulary ----------------------------------------------------

_YEAR_NUM = rf"(?:19|20)\d\d|[{CN_DIGITS}]{{4}}"
_YEAR_TOKEN = rf"(?:{_YEAR_NUM})年(?:的|底|末)?"
GAP_TOKENS = (
    "同比", "比上年", "较上年", rf"[比较]{_YEAR_TOKEN}", "分别", "均", "都", "年均", "平均", "累计", "预计", "预期",
    "首次", "历史性地?", "实现了?", "完成了?", "达到了?", "达", "为", "是", "突破", "超过", "超", "高于",
    "增长率?", "增速", "增幅", "增加", "提高", "提升", "上升", "下降", "降低", "减少", "回落", "了", "至", "到",
    "共计?", "合计", "约", "近", "从", "由", _YEAR_TOKEN, "的", "力争", "确保", "争取", "保持", "控制在", "稳定在",
    "在", "以上", "左右", "[、和及与]", r"\s",
)
GAP_RE = re.compile("(?:" + "|".join(GAP_TOKENS) + ")*")
PREFIX_TOKENS = (
    "全年", "全区", "全县", "全市", "全省", "全国", "全镇", "全社会", "我区", "我县", "我市", "今年", "去年", "当年",
    "明年", "同期", _YEAR_TOKEN, "到", "实现了?", "完成了?", "累计", "力争", "确保", "争取", "预计", "努力",
    "推动", "促进", "使", "其中", r"\s",
)
GROWTH_RE = re.compile("增长率?|增速|增幅|增加|提高|提升|上升|回升")
DECLINE_RE = re.compile("下降|降低|减少|回落")
TO_LEVEL_RE = re.compile("(?:增长|增加|提高|提升|上升|下降|降低|减少|回落)(?:到|至)")
PRE_QUALIFIERS = ("首次突破", "首次超过", "首次达到", "突破", "超过", "高于", "约", "近", "首次")
FORECAST_RE = re.compile("预计")
TARGET_RE = re.compile(
    rf"力争|确保|争取|预期目标|主要目标|目标为|目标是|目标:|力求|努力|今年|明年|(?<![加长高升降少])[到至]{_YEAR_TOKEN}"
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
    ("review_5y", re.compile(_INITIAL + "(?:过去五年|过去的五年|五年来|五年以来|本届政府任期)")),
    ("review_1y", re.compile(_INITIAL + r"(?:一年来|过去一年|去年|回顾(?:19|20)\d\d)")),
    ("plan_5y", re.compile(_INITIAL + "(?:今后五年|未来五年|五年内|今后5年|未来5年)")),
    ("plan_1y", re.compile(
        _INITIAL + r"(?:今年|新的一年|新一年|展望(?:19|20)\d\d|(?:19|20)\d\d年重点工作|(?:19|20)\d\d年(?:政府)?工作的总体要求)"
    )),
    # a list of targets inside a five-year section stays five-year
    ("plan_1y_soft", re.compile("主要预期目标")),
]
# every cue above (and the year review cue of _update_phase) contains one of
# these words; a sentence without any cannot move the phase
PHASE_HINT_RE = re.compile(
    "过去|五年|本届政府任期|一年来|去年|回顾|今后|未来|今年|新的一年|新一年|展望|年重点工作|工作的总体要求|主要预期目标"
)
YEAR_REVIEW_RE = re.compile(r"((?:19|20)\d\d)年(?:工作)?回顾|回顾((?:19|20)\d\d)")
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


@dataclass
class _DocCtx:
    doc_id: str
    region: str | None
    ref_year: int | None
    doc_type: str
    plan: tuple[int, int] | None
    phase: str | None = None


class _Matcher:
    """Finds metric names in a clause, longest first."""

    def __init__(self, names: dict[str, MetricName]):
        self.names = names
        alts = sorted(names, key=len, reverse=True)
        self.re = re.compile("|".join(re.escape(a) for a in alts))

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
    for m in VALUE_RE.finditer(text, s, e):
        num = parse_number(m.group("num"))
        if num is None:
            continue
        out.append(_Value(m.start(), m.end(), num, m.group("unit"), m.group("post"), text[m.start():m.end()]))
    return out


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
            plan = (start, start + 4)
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
            if best is None or m.start() >= best[0]:
                best = (m.start(), phase)
    for m in YEAR_REVIEW_RE.finditer(sentence):
        y = int(m.group(1) or m.group(2))
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


def _period_from_phase(ctx: _DocCtx) -> tuple[str, int, int, int] | None:
    """(status, year, start_year, end_year) the document's current phase implies."""
    if ctx.ref_year is None:
        return None
    if ctx.doc_type == "five_year_plan" and ctx.phase is None and ctx.plan:
        return ("target", ctx.plan[1], ctx.plan[0], ctx.plan[1])
    phase = ctx.phase
    if phase is None:
        if ctx.doc_type in REPORT_TYPES:
            phase = "review_1y"  # reports open with last year's results
        else:
            return ("actual", ctx.ref_year, ctx.ref_year, ctx.ref_year)
    status, a, b = PHASES[phase]
    return (status, ctx.ref_year + b, ctx.ref_year + a, ctx.ref_year + b)


def _measure(gap: str, unit: str, hint: str, prev: str | None) -> str | None:
    """What a value measures, from the words before it and the metric's hint."""
    _, base = split_unit(unit)
    to_level = TO_LEVEL_RE.search(gap) is not None
    growth = (GROWTH_RE.search(gap) or DECLINE_RE.search(gap)) and not to_level
    if base == "%":
        if growth:
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
    matcher = _Matcher(names)
    stats = {"paragraphs_in": len(paragraphs), "paragraphs_read": 0, "sentences": 0, "indicators": 0, "core": 0,
             "dropped_no_period": 0, "dropped_outside_region": 0, "dropped_unzippable_list": 0}
    rows: list[dict] = []
    paras = paragraphs
    if "is_duplicate" in paras.columns:
        paras = paras[~paras["is_duplicate"].fillna(False).astype(bool)]
    paras = paras[paras["kind"].isin(cfg.kinds)]
    # each document's paragraphs in para_id order (ties in table order); plain
    # lists, since per-document DataFrame slicing costs more than reading short texts
    by_doc: dict[str, list[tuple[int, str]]] = {}
    for doc_id, para_id, text in zip(paras["doc_id"].tolist(), paras["para_id"].tolist(), paras["text"].tolist()):
        if not isinstance(doc_id, str) and pd.isna(doc_id):
            continue  # a paragraph without a document (NaN doc_id) belongs to none
        by_doc.setdefault(doc_id, []).append((para_id, text))
    for paras_of_doc in by_doc.values():
        paras_of_doc.sort(key=lambda p: p[0])  # stable
    for doc in documents.to_dict("records"):
        # pandas gives NaN for a missing string (e.g. a document with no region)
        doc = {k: (None if not isinstance(v, (list, tuple)) and pd.isna(v) else v) for k, v in doc.items()}
        g = by_doc.get(doc["doc_id"])
        if g is None:
            continue
        ctx = _doc_ctx(doc, cfg)
        for para_id, text in g:
            stats["paragraphs_read"] += 1
            rows.extend(_read_paragraph(ctx, int(para_id), text if isinstance(text, str) else "", matcher, cfg, stats))
    cols = column_names("indicators")
    df = pd.DataFrame(rows, columns=cols)
    # a year outside the plausible range is a misread number (or mangled text), not a period
    years = df[["year", "start_year", "end_year"]].apply(pd.to_numeric, errors="coerce")
    implausible = ((years < MIN_YEAR) | (years > MAX_YEAR)).any(axis=1)
    # 'from 2012 to 2012, growing 3.2% a year' (garbled text) has no valid period
    backwards = (years["start_year"] > years["end_year"]).fillna(False)
    stats["dropped_implausible_year"] = int(implausible.sum())
    stats["dropped_inconsistent_period"] = int((backwards & ~implausible).sum())
    df = df[~(implausible | backwards)].reset_index(drop=True)
    if cfg.core_only:
        df = df[df["is_core"]].reset_index(drop=True)
    df = df.astype({"para_id": "int32", "sent_id": "int32", "char_start": "int32", "char_end": "int32",
                    "year": "Int32", "start_year": "Int32", "end_year": "Int32", "value": "float64",
                    "value_base": "float64", "is_core": "bool"})
    df = with_region_codes(df, documents)  # the document's code beside its region
    stats["indicators"] = len(df)
    stats["core"] = int(df["is_core"].sum())
    return IndicatorResult(indicators=df, stats=stats)


def _read_paragraph(ctx: _DocCtx, para_id: int, text: str, matcher: _Matcher, cfg: IndicatorConfig,
                    stats: dict[str, int]) -> list[dict]:
    rows: list[dict] = []
    spans = sentence_spans(text)
    if matcher.re.search(text) is None:
        # no metric name in the paragraph, so none in any sentence: no rows,
        # and the years carried between sentences date nothing; only phase cues
        # (which outlive the paragraph) matter. Most paragraphs take this path.
        stats["sentences"] += len(spans)
        if PHASE_HINT_RE.search(text) is not None:
            for ss, se in spans:
                _update_phase(ctx, text[ss:se])
        return rows
    frame: tuple[str, list[int]] | None = None  # lead clause of a ';' list: its text and years
    carried: list[tuple[int, int]] = []  # (sentence index, year) stated earlier in the paragraph
    for sent_id, (ss, se) in enumerate(spans):
        stats["sentences"] += 1
        sentence = text[ss:se]
        if _update_phase(ctx, sentence):
            carried = [(i, y) for i, y in carried if i == sent_id]  # a new phase outdates older years
        found = _read_sentence(ctx, para_id, sent_id, text, ss, se, matcher, cfg, stats, frame,
                               [y for i, y in carried if sent_id - i <= cfg.carry_sentences])
        rows.extend(found[0])
        if found[1] is not None:
            carried.append((sent_id, found[1]))
        # a sentence ending in ';' leaves its lead clause ('…目标为:') over the next ones
        if sentence.endswith((";", "；")):
            if frame is None:
                colon = max(sentence.rfind(":"), sentence.rfind("："))
                if colon > 0:
                    lead = sentence[:colon]
                    frame = (lead, [y for _, y, _ in stated_years(lead)])
        else:
            frame = None
    return rows


def _read_sentence(ctx, para_id, sent_id, text, ss, se, matcher, cfg, stats, frame, carried):
    """Reads one sentence; returns its rows and the year it states (for later sentences)."""
    if matcher.re.search(text, ss, se) is None or VALUE_RE.search(text, ss, se) is None:
        # no metric name or no value (in any clause, hence in the sentence):
        # nothing to pair, and no value gap hides a year from stated_years
        s_years = stated_years(text[ss:se])
        return [], (s_years[0][1] if s_years else None)
    rows = []
    clauses = _clauses(text, ss, se)
    # the last metric group seen in this sentence, continued by clauses without a metric
    last_group: list[_Mention] | None = None
    claimed: list[tuple[int, int]] = []  # value gaps: years there date one value, not the sentence
    pending = []  # (value, gap, group, measure, qualifier, value_year, avg, kind)
    sent_mentions: list[_Mention] = []
    for cs, ce in clauses:
        clause = text[cs:ce]
        mentions = [_Mention(m.start + cs, m.end + cs, m.surface, m.name, m.measure_hint) for m in matcher.find(clause)]
        values = _values(text, cs, ce)
        # share pattern: '全市12.4%的生产总值'
        share_vals = set()
        for v in values:
            if split_unit(v.unit)[1] == "%" and text.startswith("的", v.end):
                m = next((m for m in mentions if m.start == v.end + 1), None)
                if m is not None:
                    share_vals.add(id(v))
                    pending.append((v, "", [m], "share_pct", None, None, False, "share"))
                    claimed.append((cs, m.end))
                    mentions.remove(m)
        values = [v for v in values if id(v) not in share_vals]
        groups = _groups(text, mentions)
        sent_mentions.extend(mentions)
        cursor = cs
        group: list[_Mention] | None = None
        prefix_ok = True
        if groups:
            prefix = text[cs:groups[0][0].start]
            prefix_ok = _prefix_ok(prefix, ctx)
        prev_measure = None
        prev_end = None
        for v in values:
            # the nearest metric group before this value, else the sentence's last one
            before = [gr for gr in groups if gr[-1].end <= v.start]
            if before:
                gr = before[-1]
                if group is not gr:
                    group, prev_measure, prev_end = gr, None, None
                    cursor = gr[-1].end
                    if not prefix_ok and gr is groups[0]:
                        group = None
            elif last_group is not None and group is None:
                group = last_group
                cursor = cs
            if group is None:
                continue
            start_gap = prev_end if prev_end is not None else cursor
            gap = text[start_gap:v.start]
            if len(gap) > cfg.max_gap_chars or not _only_tokens(gap, GAP_RE):
                prev_end = None
                continue
            # a level's kind (per_capita, count) is settled per metric once a list is zipped
            measure = _measure(gap, v.unit, group[0].measure_hint, prev_measure)
            if measure is None:
                prev_end = v.end
                continue
            full_gap = text[cursor:v.start]
            # a year right before the value dates it (从2016年的…, 增加到2021年的…)
            vyears = [parse_year(m.group(1)) for m in re.finditer(rf"(?<![比较])({_YEAR_NUM})年", gap)]
            pending.append((v, full_gap, group, measure, _qualifier(gap, v), vyears[-1] if vyears else None,
                            # 年均/累计 values cover a span, not one year
                            "年均" in gap or "累计" in gap, "list"))
            claimed.append((start_gap, v.end))
            prev_measure, prev_end = measure, v.end
        if groups:
            last_group = groups[-1]
    # the sentence's own year: stated outside the value gaps
    s_years = [
        (p, y, dl) for p, y, dl in stated_years(text[ss:se])
        if not any(a <= ss + p < b for a, b in claimed)
    ]
    sent_year = s_years[0][1] if s_years else None
    rows = _assign(ctx, para_id, sent_id, text, ss, se, pending, sent_mentions, sent_year, frame, carried, stats)
    return rows, sent_year


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


def _assign(ctx, para_id, sent_id, text, ss, se, pending, sent_mentions, sent_year, frame, carried,
            stats) -> list[dict]:
    """Turns the sentence's (value, metric group) pairs into rows, zipping 分别 lists."""
    rows = []
    # values of one run share their group object; zip per group and measure
    runs: dict[tuple[int, str], list] = {}
    order = []
    for item in pending:
        key = (id(item[2]), item[3])
        if key not in runs:
            runs[key] = []
            order.append(key)
        runs[key].append(item)
    sentence = text[ss:se]
    for key in order:
        items = runs[key]
        group = items[0][2]
        keys_per_mention = [m.name.keys for m in group]
        flat = [(m, k) for m, ks in zip(group, keys_per_mention) for k in ks]
        respectively = any("分别" in it[1] for it in items)
        earlier = [m for m in sent_mentions if m.end <= items[0][0].start and len(m.name.keys) == 1]
        if len(flat) == 1 and len(items) > 1 and group[0].name.split_keys and respectively \
                and len(items) == len(group[0].name.split_keys):
            targets = [(group[0], k) for k in group[0].name.split_keys]
        elif len(flat) == 1 and len(items) > 1 and respectively and len(earlier) >= len(items):
            # '财政总收入…,其中一般公共预算收入…,分别增长12.1%和10.3%': the list spans clauses
            targets = [(m, m.name.keys[0]) for m in earlier[-len(items):]]
        elif len(flat) == 1 and len(items) > 1:
            # one metric, several values of one measure: only a range over stated years
            years = [it[5] for it in items]
            if None in years or len(set(years)) != len(years):
                stats["dropped_unzippable_list"] += len(items)
                continue
            targets = flat * len(items)
        elif len(flat) == 1:
            targets = flat
        elif len(items) == len(flat):
            targets = flat
        elif len(items) == 1 and re.search("均|都", items[0][1]):
            targets = flat  # 'A、B均增长8%': one value for each
            items = items * len(flat)
        else:
            stats["dropped_unzippable_list"] += len(items)
            continue
        # a qualifier written before the first value of a 分别 list holds for all of it
        lead_q = items[0][4] if respectively and items[0][4] in PRE_QUALIFIERS else None
        for (v, gap, _, measure, qual, vyear, avg, _kind), (mention, mkey) in zip(items, targets):
            before = sentence[: v.start - ss]
            period = _period(ctx, before, frame, sent_year, carried, vyear, avg, sentence)
            if period is None:
                stats["dropped_no_period"] += 1
                continue
            region = _region(ctx, text[max(ss, mention.start - 4):mention.start] if mention.start >= ss else "")
            if region is False:
                stats["dropped_outside_region"] += 1
                continue
            status, year, y0, y1 = period
            factor, base = split_unit(v.unit)
            number = v.number
            if measure == "growth_pct" and DECLINE_RE.search(gap) and not TO_LEVEL_RE.search(gap):
                number = -number  # 下降3.2% is a growth of -3.2
            if measure in ("level", "per_capita", "count"):
                measure = _measure("", v.unit, mention.measure_hint, None)
                if measure is None:
                    continue
            is_core = mention.name.core
            rows.append({
                "indicator_id": hashlib.sha256(
                    f"{ctx.doc_id}|{para_id}|{v.start}|{mkey}|{measure}".encode()).hexdigest()[:16],
                "doc_id": ctx.doc_id,
                "para_id": para_id,
                "sent_id": sent_id,
                "region": region,
                "metric": mention.surface,
                "metric_key": mkey,
                "is_core": is_core,
                "measure": measure,
                "value": number,
                "unit": v.unit,
                "value_base": number * factor,
                "base_unit": base,
                "year": year,
                "start_year": y0,
                "end_year": y1,
                "status": status,
                "qualifier": qual or lead_q,
                "value_text": v.text,
                "evidence": sentence,
                "char_start": ss,
                "char_end": se,
            })
    return rows


def _region(ctx: _DocCtx, prefix: str):
    """Region a statement is about: the document's, its city's for 全市; False for 全省/全国."""
    if "全省" in prefix or "全国" in prefix:
        return False
    if "全市" in prefix:
        return _city_of(ctx.region)
    return ctx.region


def _period(ctx, before, frame, sent_year, carried, vyear, avg, sentence):
    """(status, year, start_year, end_year) of one value, or None if it cannot be dated."""
    lead = (frame[0] if frame else "") + before
    status = "forecast" if FORECAST_RE.search(lead) else ("target" if TARGET_RE.search(lead) else None)
    explicit = vyear or sent_year or (frame[1][0] if frame and frame[1] else None) or (carried[-1] if carried else None)
    if explicit is not None:
        y0 = explicit
        if avg:
            # 年均 over a stated range (从2016年…到2021年) covers the years after its start
            ys = sorted(y for _, y, _ in stated_years(re.sub(r"从(?=(?:19|20)\d\d)", "", sentence)))
            if len(ys) >= 2:
                y0 = ys[0] + 1
                explicit = ys[-1]
            else:
                ph = _period_from_phase(ctx)
                if ph is not None and ph[1] == explicit:
                    y0 = ph[2]
        if status is None:
            if ctx.ref_year is None:
                status = "actual"
            elif ctx.doc_type in REPORT_TYPES or ctx.doc_type == "five_year_plan":
                status = "actual" if explicit < ctx.ref_year else "target"
            else:
                status = "actual" if explicit <= ctx.ref_year else "target"
        return (status, explicit, y0, explicit)
    ph = _period_from_phase(ctx)
    if ph is None:
        return None
    ph_status, year, y0, y1 = ph
    if status is None:
        status = ph_status
    elif status == "target" and ph_status == "actual":
        # a target stated inside a review ('力争…') is for the report's year
        year = y0 = y1 = ctx.ref_year
    return (status, year, y0, y1)
