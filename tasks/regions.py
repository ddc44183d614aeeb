"""Who issued a document: the national administrative-division gazetteer and issuer rules.

A government report belongs to the government that gave it, not to the places it
names. The issuer is read, in order, from the title ('2026年X省政府工作报告'),
an issuing-body line ('X省人民政府', '国务院'), the dateline ('在X省第十四届人民
代表大会第四次会议上') and the speaker's title ('X区区长', '国务院总理'). Each gives
a chain of place names ending right before a fixed suffix (政府工作报告, 人民政府,
第N届人民代表大会, 区长 ...); the chain is resolved against the gazetteer
(tasks/resources/divisions.tsv, built by scripts/build_gazetteer.py from jionlp's
registry data), earlier names in the chain narrowing later ones (台州市路桥区). A
short name that fits several units (鼓楼区 in four provinces) is resolved by which
candidate's parents the text mentions, or left unresolved with a reason.

The method is the one of address parsers such as jionlp's ``parse_location``
(longest administrative name, then its parents as context), restricted to the
positions where Chinese official documents name their issuer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from tasks.text import HAN_UNIFIED

if TYPE_CHECKING:
    import pandas as pd

RESOURCES = Path(__file__).parent / "resources"
COUNTRY_CODE = "100000"
COUNTRY_NAME = "全国"


@dataclass(frozen=True)
class Division:
    """One name of an administrative unit, over the years it was in use."""

    code: str
    level: str
    parent_code: str
    name: str
    path: str
    valid_from: int | None
    valid_to: int | None

    def valid_in(self, year: int | None) -> bool:
        """True when the name was in use in year (or the year is unknown)."""
        if year is None:
            return True
        return (self.valid_from is None or year >= self.valid_from) and (self.valid_to is None or year <= self.valid_to)


@dataclass(frozen=True)
class Issuer:
    """A resolved issuer: region path, 6-digit code and how it was found (or why not)."""

    region: str | None
    code: str | None
    reason: str


class Gazetteer:
    """Names (full and short) of every province, prefecture and county, and the country."""

    def __init__(self, divisions: list[Division], aliases: list[tuple[str, Division]]):
        self.by_code: dict[str, Division] = {}
        for d in divisions:
            # the current name wins over former names of the same code; among current
            # names the first (the higher level: 香港特别行政区 over its one district)
            if d.code not in self.by_code or (self.by_code[d.code].valid_to is not None and d.valid_to is None):
                self.by_code[d.code] = d
        self.by_path: dict[str, Division] = {}
        for d in divisions:
            self.by_path.setdefault(d.path, d)
        self.names: dict[str, list[Division]] = {}
        for alias, d in aliases:
            self.names.setdefault(alias, []).append(d)
        self.max_len = max(len(a) for a in self.names)

    def ancestors(self, d: Division) -> list[Division]:
        """The unit's parents up to (not including) the country."""
        out = []
        seen = set()
        while d.parent_code and d.parent_code != COUNTRY_CODE and d.parent_code not in seen:
            seen.add(d.parent_code)
            parent = self.by_code.get(d.parent_code)
            if parent is None:
                break
            out.append(parent)
            d = parent
        return out

    def names_of(self, d: Division) -> list[str]:
        """Every alias that points at the unit's code."""
        return [a for a, ds in self.names.items() if any(x.code == d.code for x in ds)]


@lru_cache(maxsize=2)
def load_gazetteer(path: Path = RESOURCES / "divisions.tsv") -> Gazetteer:
    """Reads tasks/resources/divisions.tsv (see its header for source and licence)."""
    divisions: list[Division] = []
    aliases: list[tuple[str, Division]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith(("#", "code\t")):
            continue
        code, level, parent, name, shorts, full_path, vfrom, vto = line.split("\t")[:8]
        d = Division(code, level, parent, name, full_path, int(vfrom) if vfrom else None, int(vto) if vto else None)
        divisions.append(d)
        for alias in {name, *[s for s in shorts.split(",") if s]}:
            aliases.append((alias, d))
    return Gazetteer(divisions, aliases)


# --- issuer evidence ------------------------------------------------------------------

_CN_NUM = "〇零一二三四五六七八九十百"
# what follows an issuer's name, per evidence family; the name chain ends right before it
# ('X省人民政府关于…' names its issuing body in the title too)
_TITLE_SUFFIX = re.compile(r"(?:人民)?政府(?:工作报告|工作報告)|国民经济和社会发展|人民政府(?:办公厅)?(?=关于|印发)")
_BODY_SUFFIX = re.compile(r"(?:人民)?政府(?:办公厅|办公室)?\s*$")
_DATELINE_SUFFIX = re.compile(rf"第[{_CN_NUM}\d]+届人民代表大会")
# (the post must end its line with a name: '对接杭州市长三角…' is no speaker line)
_SPEAKER_SUFFIX = re.compile(
    r"(?:人民政府|政府)?(?:代理|代)?(?:省长|市长|区长|县长|州长|旗长|盟长|主席)"
    rf"(?=[\s\u3000]*(?:[{HAN_UNIFIED}]{{1,8}}[·•・][{HAN_UNIFIED}]{{1,10}}|[{HAN_UNIFIED}](?:[ \u3000]?[{HAN_UNIFIED}]){{1,3}})\s*$)"
)
# the country: the State Council, or the National People's Congress in a dateline
# (a title that merely names the State Council, '…贯彻国务院…', is not its report)
_NATIONAL_TITLE = re.compile(r"^(?:(?:19|20)\d{2}年度?)?(?:中华人民共和国)?(?:国务院|中央人民政府)")
# a dateline is a date (or nothing) then the session, opening its line or after the date: a quote ('…在十四届全国人大一次会议上强调') is not
_NATIONAL_DATELINE = re.compile(rf"(?:日\s*|^\s*(?:——|－－|--|—)?\s*)在(?:中华人民共和国)?第[{_CN_NUM}\d]+届全国人民代表大会第[{_CN_NUM}\d]+次会议上")
_DATELINE_LEAD = re.compile(r"(?:日\s*|^\s*(?:——|－－|--|—)?\s*)在$")
_NATIONAL_SPEAKER = re.compile(r"国务院(?:代|代理|副)?总理|国务院副总理兼|国务委员兼")
_YEAR_BEFORE = re.compile(r"(?:19|20)\d{2}年度?$")
_ISSUER_LINE = re.compile(r"^\s*(国务院|中华人民共和国国务院|中央人民政府)\s*$")


def _chain_before(gaz: Gazetteer, text: str, end: int) -> list[tuple[str, list[Division]]]:
    """Place names that end right at position end, read backwards (台州市 路桥区 -> both)."""
    chain: list[tuple[str, list[Division]]] = []
    while end > 0:
        hit = None
        for k in range(min(gaz.max_len, end), 1, -1):
            cand = text[end - k : end]
            if cand in gaz.names:
                hit = cand
                break
        if hit is None:
            break
        chain.append((hit, gaz.names[hit]))
        end -= len(hit)
    chain.reverse()
    return chain


def _resolve_chain(
    gaz: Gazetteer, chain: list[tuple[str, list[Division]]], context: str, year: int | None
) -> Issuer | None:
    """The most specific unit of a chain, narrowed by the names before it and the text around."""
    if not chain:
        return None
    alias, cands = chain[-1]
    # a province's own city row is its path (上海市 under 上海市): keep one per code
    by_code: dict[str, Division] = {}
    for d in cands:
        if d.code not in by_code or (d.valid_in(year) and not by_code[d.code].valid_in(year)):
            by_code[d.code] = d
    cands = list(by_code.values())
    if len(cands) > 1:
        dated = [d for d in cands if d.valid_in(year)]
        cands = dated or cands
    if len(cands) > 1 and len(chain) > 1:
        parents = {d.code for _, ds in chain[:-1] for d in ds}
        narrowed = [d for d in cands if parents & {a.code for a in gaz.ancestors(d)}]
        cands = narrowed or cands
    if len(cands) > 1:
        # same short name in several provinces: the one whose parents the text names
        def parent_mentions(d: Division) -> int:
            return sum(context.count(n) for a in gaz.ancestors(d) for n in gaz.names_of(a) if len(n) >= 2)

        scored = sorted(((parent_mentions(d), d.code, d) for d in cands), reverse=True)
        if scored[0][0] > 0 and scored[0][0] > scored[1][0]:
            cands = [scored[0][2]]
        else:
            codes = ",".join(sorted(d.code for d in cands))
            return Issuer(None, None, f"ambiguous:{alias}({codes})")
    d = cands[0]
    return Issuer(d.path, d.code, "")


def find_issuer(
    title: str,
    head_lines: list[str],
    publisher: str | None,
    year: int | None,
    gaz: Gazetteer | None = None,
) -> Issuer | None:
    """Who issued a document, from its title, issuing body, dateline or speaker line.

    Args:
        title: The document's title.
        head_lines: The first lines of the text (where datelines and speaker lines sit).
        publisher: The page's 发布机构/信息来源 field, if any.
        year: The document's year, to pick the name in use then (襄樊市 before 2010).

    Returns:
        The issuer with reason title/issuer/dateline/speaker, an Issuer with no
        region and an 'ambiguous:...' reason, or None when no evidence is found.
    """
    gaz = gaz or load_gazetteer()
    head = "\n".join(head_lines)
    context = title + "\n" + head
    national = Issuer(COUNTRY_NAME, COUNTRY_CODE, "")
    ambiguous: Issuer | None = None

    def from_suffix(source: str, suffix: re.Pattern, reason: str, after: re.Pattern | None = None) -> Issuer | None:
        nonlocal ambiguous
        for m in suffix.finditer(source):
            # '贵阳市2025年政府工作报告': a year may sit between the name and its suffix
            lead = _YEAR_BEFORE.search(source, 0, m.start())
            end = lead.start() if lead else m.start()
            chain = _chain_before(gaz, source, end)
            start = end - sum(len(alias) for alias, _ in chain)
            if after is not None and not after.search(source, 0, start):
                continue
            found = _resolve_chain(gaz, chain, context, year)
            if found is not None and found.region is not None:
                return Issuer(found.region, found.code, reason)
            if found is not None and ambiguous is None:
                ambiguous = found
        return None

    # 1. title: '2026年X省政府工作报告', '国务院政府工作报告'
    found = from_suffix(title, _TITLE_SUFFIX, "title")
    if found:
        return found
    if _NATIONAL_TITLE.search(title):
        return Issuer(national.region, national.code, "title")
    # 2. issuing body: a line that is just 'X省人民政府' / '国务院', or the page's 发布机构
    lines = [l.strip() for l in head_lines if l.strip()]
    for line in ([publisher] if publisher else []) + [l for l in lines if len(l) <= 20]:
        if _ISSUER_LINE.match(line):
            return Issuer(national.region, national.code, "issuer")
        found = from_suffix(line, _BODY_SUFFIX, "issuer")
        if found:
            return found
    # 3. dateline: '在X省第十四届人民代表大会第四次会议上', '在第十三届全国人民代表大会…'
    for line in lines:
        if "在" not in line or "会议上" not in line:
            continue
        if _NATIONAL_DATELINE.search(line):
            return Issuer(national.region, national.code, "dateline")
        found = from_suffix(line, _DATELINE_SUFFIX, "dateline", after=_DATELINE_LEAD)
        if found:
            return found
    # 4. speaker's title: 'X省人民政府省长 张三', 'X区区长', '国务院总理 李克强'
    for line in lines:
        if len(line) > 80:
            continue
        if _NATIONAL_SPEAKER.search(line):
            return Issuer(national.region, national.code, "speaker")
        found = from_suffix(line, _SPEAKER_SUFFIX, "speaker")
        if found:
            return found
    return ambiguous


def code_of(region: str | None, gaz: Gazetteer | None = None) -> str | None:
    """The 6-digit code of a region path as documents write it (台州市路桥区), if it is a division."""
    if not region:
        return None
    gaz = gaz or load_gazetteer()
    d = gaz.by_path.get(region)
    return d.code if d else None


def most_mentioned(title: str, text: str, gaz: Gazetteer | None = None) -> Issuer | None:
    """The last resort: the division named most often (title ten times the first 2,000 characters).

    Only full names of three or more characters count (省, 市, 县 and 区 names as
    written; short forms like 鼓楼 match too much), only names that point at one
    unit, and the winner must lead clearly: a tie or a single mention gives None.
    """
    gaz = gaz or load_gazetteer()
    index = _mention_index(gaz)
    scores: dict[str, float] = {}
    for source, weight in ((title, 10.0), (text[:2000], 1.0)):
        for name in index.find_names(source):
            code = index.code_of_name[name]
            scores[code] = scores.get(code, 0.0) + weight
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    top_code, top = ranked[0]
    if top < 2 or (len(ranked) > 1 and ranked[1][1] >= top):
        return None
    d = gaz.by_code[top_code]
    return Issuer(d.path, d.code, "mentions")


@dataclass(frozen=True)
class _MentionIndex:
    """The names most_mentioned counts, their codes, and their lengths by last character."""

    code_of_name: dict[str, str]
    lengths_by_last: dict[str, tuple[int, ...]]
    last_chars: re.Pattern

    def find_names(self, text: str) -> list[str]:
        """The names in text, leftmost first, the longest at each start, not overlapping.

        What ``re.findall`` of the names' alternation (longest first) gives, found from
        the few characters a name can end with instead of trying thousands of
        alternatives at every character (the alternation took ~2 ms per document).
        """
        found = []
        for m in self.last_chars.finditer(text):
            end = m.end()
            for n in self.lengths_by_last[m.group()]:
                if n <= end and text[end - n:end] in self.code_of_name:
                    found.append((end - n, -n))
        names, pos = [], 0
        for start, neg in sorted(found):
            if start >= pos:
                names.append(text[start:start - neg])
                pos = start - neg
        return names


@lru_cache(maxsize=2)
def _mention_index(gaz: Gazetteer) -> _MentionIndex:
    code_of_name = {}
    for name, ds in gaz.names.items():
        if len(name) >= 3 and len({d.code for d in ds}) == 1 and ds[0].level != "country" and ds[0].name == name:
            code_of_name[name] = ds[0].code
    lengths: dict[str, set[int]] = {}
    for name in code_of_name:
        lengths.setdefault(name[-1], set()).add(len(name))
    last = re.compile("[" + "".join(map(re.escape, sorted(lengths))) + "]")
    return _MentionIndex(code_of_name, {c: tuple(sorted(ls, reverse=True)) for c, ls in lengths.items()}, last)


def with_region_codes(indicators: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """Fills indicators.region_code: the document's code where the row's region is the
    document's region, else the gazetteer's code for the row's region (a city for 全市)."""
    if indicators.empty:
        return indicators
    codes = documents["region_code"] if "region_code" in documents else [None] * len(documents)
    doc_region = {d: (r, c) for d, r, c in zip(documents["doc_id"], documents["region"], codes)}
    out = []
    for doc_id, region in zip(indicators["doc_id"], indicators["region"]):
        d_region, d_code = doc_region.get(doc_id, (None, None))
        if isinstance(region, str) and region == d_region and isinstance(d_code, str):
            out.append(d_code)
        else:
            out.append(code_of(region) if isinstance(region, str) else None)
    return indicators.assign(region_code=out)
