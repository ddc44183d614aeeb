"""Mentions: policy phrases, officials and places named in the documents.

Takes documents and kept paragraphs (``is_duplicate == False``; table
paragraphs are skipped, they hold cells, not prose) and gives three tables:

* ``policy_phrases``: quoted slogans (“八八战略”, “六链”: 2–12 characters
  inside “…”, not quotations with clause punctuation, not bare numbers such
  as “152”) and numbered phrases (三大战略, 十件民生实事, 四纵四横一环一绕,
  “双倍增”), counted per document.
* ``officials``: people named with a government or party title (区长 牟傲野,
  代市长 汤飞帆), from the documents' speaker fields and from
  'place + title + name' patterns in the text. Precision first: a title counts
  only right after a known place (or 人民政府), and a name only with a known
  surname and a clean right boundary, so 市县长项目 and 城市长效 never match.
* ``places``: administrative places from ``resources/gazetteer.tsv`` found by
  longest match, with level and parent, counted per document.

All three are dictionary/pattern extractors in the tradition of gazetteer
lookup with longest-match disambiguation (cf. the GATE ANNIE gazetteer,
Cunningham et al., ACL 2002), which favours precision over recall.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from tasks.plan_tables import conform
from tasks.schemas import column_names
from tasks.text import HAN_UNIFIED, kept_paragraphs

RESOURCES = Path(__file__).parent / "resources"
GAZETTEER = RESOURCES / "gazetteer.tsv"

_CJK = HAN_UNIFIED
_NUMERALS = "一二三四五六七八九十两双百千"
_QUOTED_RE = re.compile(r"“([^“”\n]{1,40})”")
# clause punctuation inside quotes marks a quotation, not a slogan
# (“开局就是决战,起步就是冲刺”); 、 is allowed (“一窗受理、集成服务”)
_QUOTE_PUNCT_RE = re.compile(r"[,，。;；:：!?！？]")
_NUMBERED_NOUNS = (
    "民生实事|实事|功能片区|片区|区块|板块|战略|目标|行动|专项行动|工程|任务|体系|平台|"
    "主导产业|产业|基地|中心|攻坚战|攻坚|革命|举措|计划|会战|走廊|集群|高地|示范区|"
    "新城|组团|功能区|硬仗|提升|建设|改革|系统"
)
# 三大战略, 十件民生实事, 五大行动, 两个高水平. Not after a numeral: written as
# 'numeral, then not two numerals ending here' rather than a leading lookbehind,
# so that the regex engine can skip ahead to numerals (the same matches, ~3x faster)
_NUMBERED_RE = re.compile(
    rf"[{_NUMERALS}](?<![{_NUMERALS}][{_NUMERALS}])[{_NUMERALS}]*(?:大|个|件|项|条|张|场|类)(?:{_NUMBERED_NOUNS})"
)
# 四纵四横一环一绕, 三改一拆, 两轴三心: numeral + one character, repeated
_PAIRS_RE = re.compile(rf"(?:[{_NUMERALS}][{_CJK}]){{2,}}")
_PAIRS_UNQUOTED_RE = re.compile(
    rf"[{_NUMERALS}](?<![{_NUMERALS}][{_NUMERALS}])[^{_NUMERALS}\W\d](?:[{_NUMERALS}][^{_NUMERALS}\W\d]){{2,}}"
)
_HAS_CJK_RE = re.compile(f"[{_CJK}]")
_ALL_NUMERAL_RE = re.compile(rf"^[{_NUMERALS}零〇\d]+$")

_TITLE_RE = re.compile(
    r"(?P<gov>人民政府)?(?P<title>代理?[区县市]长|副[区县市]长|[区县市]长|[区县市]委副?书记)"
)
# every title holds one of these; a paragraph without any has no title
_TITLE_HINT_RE = re.compile("[区县市][长委]")
# common single-character surnames (百家姓 plus frequent modern ones)
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季"
    "裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦"
    "戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻"
    "苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练"
    "廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿"
    "鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)
# what may follow a name: end of text, space, punctuation, or the usual
# continuations of a speaker line / report sentence
_NAME_STOP_RE = re.compile(
    r"(?:$|[\s,，。;；:：、!?！？()（）“”《》]|各位|同志|在|作|代表|表示|说|指出|强调|主持|出席|讲话|参加|带领|调研|率队|一行)"
)
_NOT_NAMES = frozenset("项目 工作 会议 办公 助理 热线 信箱 杯赛 批示 指出 强调 一行 信箱".split())


# a short form followed by one of these names a bridge, village, lake... that
# shares the place's short name, not the place itself
_FEATURE_SUFFIXES = frozenset("桥村路街巷湖溪河江山港湾塘寺岛")


class GazetteerError(ValueError):
    """The gazetteer file is malformed."""


@dataclass(frozen=True)
class Place:
    """One gazetteer entry.

    Attributes:
        name: Standard name (路桥区).
        full_name: Path as ingest's regions write it (台州市路桥区).
        level: province, city, district_county or town_street.
        parent: full_name of the parent entry; empty at the top.
        scope: When set, short aliases only count in documents whose region
            starts with it.
    """

    name: str
    full_name: str
    level: str
    parent: str
    scope: str


LEVELS = ("province", "city", "district_county", "town_street")


@dataclass(frozen=True)
class MentionsConfig:
    """Settings of the mention extractors.

    Attributes:
        min_quote_chars: Shortest quoted slogan kept.
        max_quote_chars: Longest quoted slogan kept (longer is a quotation).
        gazetteer: Path of the gazetteer TSV.
    """

    min_quote_chars: int = 2
    max_quote_chars: int = 12
    gazetteer: Path = GAZETTEER

    def __post_init__(self) -> None:
        if self.min_quote_chars < 1:
            raise ValueError("min_quote_chars must be >= 1")
        if self.max_quote_chars < self.min_quote_chars:
            raise ValueError("max_quote_chars must be >= min_quote_chars")
        if not Path(self.gazetteer).is_file():
            raise ValueError(f"gazetteer {self.gazetteer} is not a file")


@dataclass(frozen=True)
class MentionsResult:
    """Output of the mention extractors.

    Attributes:
        policy_phrases: Schema ``policy_phrases``.
        officials: Schema ``officials``.
        places: Schema ``places``.
        stats: Counts: paragraphs_in, paragraphs_read, phrases, officials, places.
    """

    policy_phrases: pd.DataFrame
    officials: pd.DataFrame
    places: pd.DataFrame
    stats: dict[str, int] = field(default_factory=dict)


# --- shared ------------------------------------------------------------------------


def kept_prose(paragraphs: pd.DataFrame, documents: pd.DataFrame | None = None) -> pd.DataFrame:
    """Kept, non-table paragraphs in (doc_id, para_id) order.

    Args:
        paragraphs: Paragraphs with doc_id, para_id, kind, text and optionally
            is_duplicate.
        documents: When given with is_duplicate, paragraphs of duplicate
            documents are skipped too.

    Returns:
        The paragraphs later stages may read as prose.
    """
    paras = kept_paragraphs(paragraphs, documents)
    paras = paras[paras["kind"] != "table"]
    return paras.sort_values(["doc_id", "para_id"], kind="stable")


def _prose_records(paras: pd.DataFrame) -> list[tuple[str, int, str]]:
    """(doc_id, para_id as int, text) of each paragraph row, in row order.

    Plain Python lists: iterating rows of a DataFrame (itertuples) costs more
    than the extractors themselves on short paragraphs.
    """
    return list(zip(paras["doc_id"].tolist(), [int(p) for p in paras["para_id"].tolist()], paras["text"].tolist()))


@lru_cache(maxsize=4)
def load_gazetteer(path: Path = GAZETTEER) -> tuple[dict[str, Place], dict[str, tuple[Place, bool]]]:
    """Reads the gazetteer.

    Args:
        path: The TSV (name, full_name, level, parent, aliases, scope; '#' comments).

    Returns:
        (places by full_name, surface form -> (place, is_short_alias)).

    Raises:
        GazetteerError: On a bad level, a duplicate surface form or an unknown parent.
    """
    by_full: dict[str, Place] = {}
    forms: dict[str, tuple[Place, bool]] = {}
    with open(path, encoding="utf-8") as f:
        lines = [ln for ln in f if not ln.startswith("#")]
    for rec in csv.DictReader(lines, delimiter="\t"):
        place = Place(rec["name"], rec["full_name"], rec["level"], rec["parent"] or "", rec["scope"] or "")
        if place.level not in LEVELS:
            raise GazetteerError(f"{place.name}: level {place.level!r} not in {LEVELS}")
        by_full[place.full_name] = place
        for form, short in [(place.name, False)] + [(a, True) for a in (rec["aliases"] or "").split(",") if a]:
            if form in forms and forms[form][0] != place:
                raise GazetteerError(f"surface form {form!r} given twice")
            forms[form] = (place, short)
    for place in by_full.values():
        if place.parent and place.parent not in by_full:
            raise GazetteerError(f"{place.name}: parent {place.parent!r} not in the gazetteer")
    return by_full, forms


@dataclass(frozen=True)
class _FormIndex:
    """Where a gazetteer form can start: its first two characters.

    Attributes:
        starts: Matches the first two characters of any form (of 2+ characters).
        lengths: First two characters -> lengths of the forms starting with
            them, longest first.
    """

    starts: re.Pattern
    lengths: dict[str, tuple[int, ...]]


def _form_index(forms: dict[str, tuple[Place, bool]]) -> _FormIndex:
    """Indexes surface forms by their first two characters (see find_places)."""
    lengths: dict[str, set[int]] = {}
    for form in forms:
        if len(form) >= 2:
            lengths.setdefault(form[:2], set()).add(len(form))
    heads = sorted(lengths)
    # an empty alternation would match everywhere; (?!) never matches
    starts = re.compile("|".join(re.escape(h) for h in heads) if heads else "(?!)")
    return _FormIndex(starts, {h: tuple(sorted(ls, reverse=True)) for h, ls in lengths.items()})


def find_places(
    text: str, forms: dict[str, tuple[Place, bool]], region: str | None = None, index: _FormIndex | None = None
) -> list[tuple[int, int, Place]]:
    """Finds gazetteer places in text by greedy longest match.

    Args:
        text: Paragraph text.
        forms: Surface form -> (place, is_short_alias), from load_gazetteer.
        region: The document's region; scoped short aliases (新桥) only count
            when it starts with the entry's scope.
        index: _form_index(forms), when the caller reuses it over many texts.

    Returns:
        (start, end, place) for each match, left to right, not overlapping.
    """
    # Scanning left to right, a position matches the longest form (of 2+
    # characters) written there that passes the alias checks, and scanning
    # resumes after it. Only positions where some form's first two characters
    # are written can match, and only lengths of forms starting with them, so
    # the index jumps between those.
    if index is None:
        index = _form_index(forms)
    starts, lengths = index.starts, index.lengths
    out = []
    i = 0
    n = len(text)
    region = region or ""
    while True:
        m = starts.search(text, i)
        if m is None:
            break
        i = m.start()
        hit = None
        for ln in lengths[m.group()]:
            if ln > n - i:
                continue
            entry = forms.get(text[i : i + ln])
            if entry is None:
                continue
            place, short = entry
            if short and i + ln < n and text[i + ln] in _FEATURE_SUFFIXES:
                continue  # 兰溪桥水库 is a reservoir in 庆元, not 兰溪市
            if short and place.scope and not region.startswith(place.scope):
                continue
            hit = (i, i + ln, place)
            break
        if hit:
            out.append(hit)
            i = hit[1]
        else:
            i += 1
    return out


# --- policy phrases ------------------------------------------------------------------


def phrase_spans(text: str, cfg: MentionsConfig | None = None) -> list[tuple[int, int, str, str]]:
    """Finds policy phrases in one paragraph.

    Args:
        text: Paragraph text.
        cfg: Settings; defaults when None.

    Returns:
        (start, end, phrase, phrase_type) with phrase_type quoted or numbered;
        quoted phrases are given without their quotes.
    """
    cfg = cfg or MentionsConfig()
    out: list[tuple[int, int, str, str]] = []
    covered: list[tuple[int, int]] = []
    for m in _QUOTED_RE.finditer(text):
        inner = m.group(1).strip()
        covered.append(m.span())
        if not (cfg.min_quote_chars <= len(inner) <= cfg.max_quote_chars):
            continue
        if _QUOTE_PUNCT_RE.search(inner) or not _HAS_CJK_RE.search(inner) or _ALL_NUMERAL_RE.match(inner):
            continue  # a quotation, a code like “152”, or a period name like “十四五”
        numbered = bool(
            _NUMBERED_RE.fullmatch(inner) or _PAIRS_RE.fullmatch(inner) or inner.startswith("双")
        )
        out.append((m.start(1), m.end(1), inner, "numbered" if numbered else "quoted"))
    for rx in (_NUMBERED_RE, _PAIRS_UNQUOTED_RE):
        for m in rx.finditer(text):
            if any(s <= m.start() < e for s, e in covered):
                continue
            covered.append(m.span())
            out.append((m.start(), m.end(), m.group(0), "numbered"))
    return sorted(out)


def policy_phrases(documents: pd.DataFrame, paragraphs: pd.DataFrame, cfg: MentionsConfig | None = None) -> pd.DataFrame:
    """Counts quoted slogans and numbered phrases per document.

    Args:
        documents: The documents table (duplicates skipped when marked).
        paragraphs: Paragraphs (kept ones are read).
        cfg: Settings; defaults when None.

    Returns:
        One row per (doc_id, phrase), schema ``policy_phrases``, ordered by
        doc_id then first appearance.
    """
    return _count_phrases(_prose_records(kept_prose(paragraphs, documents)), cfg or MentionsConfig())


def _count_phrases(records: list[tuple[str, int, str]], cfg: MentionsConfig) -> pd.DataFrame:
    """policy_phrases over the (doc_id, para_id, text) records of kept prose."""
    agg: dict[tuple[str, str], dict] = {}
    for doc_id, para_id, text in records:
        for start, _end, phrase, ptype in phrase_spans(text, cfg):
            key = (doc_id, phrase)
            row = agg.setdefault(
                key,
                {"doc_id": doc_id, "phrase": phrase, "phrase_type": ptype, "count": 0,
                 "first_para_id": para_id, "_order": (para_id, start)},
            )
            row["count"] += 1
            if ptype == "numbered":
                row["phrase_type"] = "numbered"
    rows = sorted(agg.values(), key=lambda r: (r["doc_id"], r["_order"]))
    return conform(pd.DataFrame(rows, columns=column_names("policy_phrases")), "policy_phrases")


# --- officials -------------------------------------------------------------------------


def _name_after(text: str, pos: int) -> tuple[str, int] | None:
    """Reads a 2–3 character personal name starting at pos (spaces skipped)."""
    while pos < len(text) and text[pos] in " \u3000\t":
        pos += 1
    if pos >= len(text) or text[pos] not in SURNAMES:
        return None
    for ln in (3, 2):
        cand = text[pos : pos + ln]
        if len(cand) < ln or not re.fullmatch(f"[{_CJK}]+", cand) or cand in _NOT_NAMES:
            continue
        if _NAME_STOP_RE.match(text, pos + ln):
            return cand, pos
    return None


def _place_before(text: str, end: int, forms: dict[str, tuple[Place, bool]]) -> tuple[Place, int] | None:
    """The gazetteer place ending exactly at end (longest form wins)."""
    for ln in range(min(12, end), 1, -1):
        entry = forms.get(text[end - ln : end])
        if entry and not entry[0].scope:
            return entry[0], end - ln
    return None


def official_mentions(text: str, forms: dict[str, tuple[Place, bool]]) -> list[dict]:
    """Finds 'place [人民政府] title name' mentions in one paragraph.

    Args:
        text: Paragraph text.
        forms: Gazetteer surface forms (load_gazetteer).

    Returns:
        Dicts with name, title, region (full_name of the place), evidence
        (the text from the place to the end of the name), start.
    """
    out = []
    if _TITLE_HINT_RE.search(text) is None:
        return out
    for m in _TITLE_RE.finditer(text):
        # the title must follow a known place (台州市路桥区区长, 衢州市代市长,
        # 瓯海区人民政府区长); this rejects 市县长项目 and 城市长效管理
        place = _place_before(text, m.start(), forms)
        if place is None:
            continue
        got = _name_after(text, m.end())
        if got is None:
            continue
        name, npos = got
        pl, pstart = place
        out.append({
            "name": name, "title": m.group("title"), "region": pl.full_name,
            "evidence": text[pstart : npos + len(name)], "start": pstart,
        })
    return out


def officials(documents: pd.DataFrame, paragraphs: pd.DataFrame, cfg: MentionsConfig | None = None) -> pd.DataFrame:
    """Lists officials named with their titles, per document.

    Args:
        documents: The documents table; its speaker/speaker_title/region give
            the reporting official even when the text pattern misses.
        paragraphs: Paragraphs (kept ones are read).
        cfg: Settings; defaults when None.

    Returns:
        One row per (doc_id, name, title), schema ``officials``.
    """
    cfg = cfg or MentionsConfig()
    return _find_officials(documents, _prose_records(kept_prose(paragraphs, documents)), cfg)


def _find_officials(documents: pd.DataFrame | None, records: list[tuple[str, int, str]], cfg: MentionsConfig) -> pd.DataFrame:
    """officials over the (doc_id, para_id, text) records of kept prose."""
    _, forms = load_gazetteer(Path(cfg.gazetteer))
    rows: dict[tuple[str, str, str], dict] = {}
    for doc_id, para_id, text in records:
        for hit in official_mentions(text, forms):
            key = (doc_id, hit["name"], hit["title"])
            rows.setdefault(key, {"doc_id": doc_id, "para_id": para_id, "name": hit["name"],
                                  "title": hit["title"], "region": hit["region"], "evidence": hit["evidence"]})
    if documents is not None and {"speaker", "speaker_title"} <= set(documents.columns):
        # (doc_id, name) pairs already listed, and each document's records:
        # lookups, not scans of every row and paragraph per document
        named = {(k[0], k[1]) for k in rows}
        texts: dict[str, list[tuple[str, int, str]]] = {}
        for rec in records:
            texts.setdefault(rec[0], []).append(rec)
        for d in documents.itertuples(index=False):
            if not isinstance(d.speaker, str) or not d.speaker or getattr(d, "is_duplicate", False) is True:
                continue
            title = d.speaker_title if isinstance(d.speaker_title, str) else None
            if (d.doc_id, d.speaker) in named:
                continue
            para_id, evidence = None, None
            for _, p_id, p_text in texts.get(d.doc_id, ()):
                if d.speaker in p_text:
                    i = p_text.index(d.speaker)
                    para_id, evidence = p_id, p_text[max(0, i - 12) : i + len(d.speaker)]
                    break
            named.add((d.doc_id, d.speaker))
            rows[(d.doc_id, d.speaker, title or "")] = {
                "doc_id": d.doc_id, "para_id": para_id, "name": d.speaker, "title": title,
                "region": d.region if isinstance(d.region, str) else None,
                "evidence": evidence or "documents.speaker",
            }
    out = sorted(rows.values(), key=lambda r: (r["doc_id"], r["para_id"] if r["para_id"] is not None else -1, r["name"]))
    return conform(pd.DataFrame(out, columns=column_names("officials")), "officials")


# --- places ----------------------------------------------------------------------------


def places(documents: pd.DataFrame, paragraphs: pd.DataFrame, cfg: MentionsConfig | None = None) -> pd.DataFrame:
    """Counts gazetteer places mentioned in each document's kept paragraphs.

    Args:
        documents: The documents table; its region scopes short town names.
        paragraphs: Paragraphs (kept ones are read).
        cfg: Settings; defaults when None.

    Returns:
        One row per (doc_id, place), schema ``places``, ordered by doc_id then
        first mention.
    """
    cfg = cfg or MentionsConfig()
    return _count_places(documents, _prose_records(kept_prose(paragraphs, documents)), cfg)


def _count_places(documents: pd.DataFrame | None, records: list[tuple[str, int, str]], cfg: MentionsConfig) -> pd.DataFrame:
    """places over the (doc_id, para_id, text) records of kept prose."""
    _, forms = load_gazetteer(Path(cfg.gazetteer))
    regions = {}
    if documents is not None and "region" in documents.columns:
        regions = {d: r for d, r in zip(documents["doc_id"], documents["region"]) if isinstance(r, str)}
    index = _form_index(forms)
    agg: dict[tuple[str, str], dict] = {}
    for doc_id, para_id, text in records:
        for start, _end, pl in find_places(text, forms, regions.get(doc_id), index):
            row = agg.setdefault(
                (doc_id, pl.full_name),
                {"doc_id": doc_id, "place": pl.name, "full_name": pl.full_name, "level": pl.level,
                 "parent": pl.parent or None, "count": 0, "first_para_id": para_id,
                 "_order": (para_id, start)},
            )
            row["count"] += 1
    rows = sorted(agg.values(), key=lambda r: (r["doc_id"], r["_order"]))
    return conform(pd.DataFrame(rows, columns=column_names("places")), "places")


def extract_mentions(documents: pd.DataFrame, paragraphs: pd.DataFrame, cfg: MentionsConfig | None = None) -> MentionsResult:
    """Runs the three extractors.

    Args:
        documents: The documents table.
        paragraphs: Paragraphs (kept ones are read).
        cfg: Settings; defaults when None.

    Returns:
        The three tables with counts.
    """
    cfg = cfg or MentionsConfig()
    # the three read the same kept prose: select it and turn it into records once
    records = _prose_records(kept_prose(paragraphs, documents))
    phr = _count_phrases(records, cfg)
    off = _find_officials(documents, records, cfg)
    plc = _count_places(documents, records, cfg)
    stats = {
        "paragraphs_in": len(paragraphs),
        "paragraphs_read": len(records),
        "phrases": len(phr), "officials": len(off), "places": len(plc),
    }
    return MentionsResult(policy_phrases=phr, officials=off, places=plc, stats=stats)
