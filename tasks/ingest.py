"""Ingest: raw input files -> documents, raw paragraphs and quarantine rows.

Takes a folder of crawled files and gives three DataFrames (columns as in
tasks/schemas.py): ``documents`` (one row per document; a listing page gives
one per record), ``paragraphs`` (doc_id, para_id, kind, section, text, before
cleaning) and ``quarantine`` (files, or parts of files, that gave no document,
with a reason). The run never stops on a bad file.

Each file's layout is recognised from its content, never its name:

* ``forum``: a bulletin-board repost; only the post body is kept (user badges,
  counters and the site footer are chrome).
* ``portal``: a government portal page; its metadata block (索引号, 发布机构,
  公开日期, 信息来源) becomes document fields, the rest of the chrome goes.
* ``listing``: a page of records "- / title / body / date"; each record is a
  document, its one-line body split into paragraphs at headings and natural
  breaks.
* ``newspaper``/``plain``: an article; captions and bylines become paragraphs of
  their own kinds.

Decoding follows the order most crawled Chinese text needs: BOMs, strict
UTF-8, strict GB18030 (a superset of GBK/GB2312), then charset-normalizer's
guess, each checked for text-likeness so that binary data is quarantined
instead of ingested as mojibake.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from tasks import reasons
from tasks.parallel import map_in_processes
from tasks.parquet import large_string_array
from tasks.regions import code_of, find_issuer, load_gazetteer, most_mentioned
from tasks.schemas import column_names
from tasks.text import CN_DIGIT_VALUES, HAN, HAN_UNIFIED, SENTENCE_TERMINATORS

RESOURCES = Path(__file__).parent / "resources"


@dataclass(frozen=True)
class IngestConfig:
    """Settings of the ingest stage.

    Args:
        max_file_bytes: Files larger than this are quarantined instead of read; a
            government report is ~50 KB, so 32 MB means a dump or a wrong file.
        listing_para_chars: Listing bodies are cut into paragraphs of about this
            many characters at sentence ends when no heading breaks them first.
        glob: Which files under the input folder are read.
    """

    max_file_bytes: int = 32 * 1024 * 1024
    listing_para_chars: int = 300
    glob: str = "**/*"

    def __post_init__(self) -> None:
        if self.max_file_bytes <= 0:
            raise ValueError("max_file_bytes must be positive")
        if self.listing_para_chars < 50:
            raise ValueError("listing_para_chars must be at least 50")


@dataclass(frozen=True)
class IngestResult:
    """What ingest gives: documents, paragraphs, quarantine and counts."""

    documents: pd.DataFrame
    paragraphs: pd.DataFrame
    quarantine: pd.DataFrame
    stats: dict[str, int] = field(default_factory=dict)


class DecodeError(Exception):
    """The bytes of a file are not text in any encoding we read."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


# --- decoding -----------------------------------------------------------------

_CJK = re.compile(f"[{HAN}]")
# control characters other than \t \n \f \r, and U+FFFD (what a wrong decoding leaves)
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")


def _looks_like_text(text: str) -> bool:
    """True when decoded text is mostly printable and not replacement characters."""
    if not text:
        return False
    sample = text[:20000]
    # a regex scan, not a Python loop: this runs on the first 20k characters of every file
    return len(_NOT_TEXT.findall(sample)) / len(sample) < 0.01


def decode_bytes(raw: bytes) -> tuple[str, str, str | None]:
    """Decodes raw file bytes into text.

    Args:
        raw: The file's bytes.

    Returns:
        (text, encoding, warning): warning is set when a truncated multi-byte
        sequence at the end was dropped.

    Raises:
        DecodeError: When the bytes are empty, binary or in no known encoding.
    """
    if not raw.strip():
        raise DecodeError(reasons.EMPTY_FILE, "file is empty or holds only whitespace")
    if raw.startswith(b"\xef\xbb\xbf"):
        return _decode_utf8(raw[3:], "utf-8-sig")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DecodeError(reasons.UNDECODABLE, f"UTF-16 byte-order mark but invalid UTF-16: {exc}") from exc
        return text, "utf-16", None
    # UTF-16 without a BOM: every other byte is NUL for ASCII, often for CJK too
    if raw.count(b"\x00") > len(raw) // 8:
        for enc in ("utf-16-le", "utf-16-be"):
            try:
                text = raw.decode(enc)
            except UnicodeDecodeError:
                continue
            if _looks_like_text(text) and _CJK.search(text):
                return text, enc, None
        nuls = raw.count(b"\x00")
        raise DecodeError(reasons.BINARY_FILE, f"binary data: {nuls} NUL bytes in {len(raw)} bytes")
    if b"\x00" in raw[:65536]:
        # no text encoding but UTF-16/32 puts NUL bytes in text
        raise DecodeError(reasons.BINARY_FILE, "binary data: NUL bytes in a file that is not UTF-16")
    try:
        return _decode_utf8(raw, "utf-8")
    except DecodeError:
        pass
    try:
        text = raw.decode("gb18030")
        if _looks_like_text(text):
            return text, "gb18030", None
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is not None:
        text = str(best)
        if _looks_like_text(text):
            return text, best.encoding, None
    raise DecodeError(reasons.UNDECODABLE, "not valid UTF-8, UTF-16 or GB18030, and no other encoding fits")


def _decode_utf8(raw: bytes, name: str) -> tuple[str, str, str | None]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # only an incomplete sequence in the last 3 bytes counts as truncation
        if exc.reason == "unexpected end of data" and exc.start >= len(raw) - 3:
            text = raw[: exc.start].decode("utf-8")
            warning = f"last {len(raw) - exc.start} bytes were an incomplete UTF-8 character and were dropped"
        else:
            raise DecodeError(reasons.UNDECODABLE, f"invalid UTF-8 at byte {exc.start}") from exc
    else:
        warning = None
    if not _looks_like_text(text):
        raise DecodeError(reasons.BINARY_FILE, "decodes as UTF-8 but is mostly control characters")
    return text, name, warning


# --- regions --------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    alias: str
    full_name: str
    level: str


def load_regions(path: Path = RESOURCES / "regions.tsv") -> list[Region]:
    """Reads the region aliases ingest uses, longest alias first."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        alias, full, level = line.split("\t")[:3]
        out.append(Region(alias, full, level))
    return sorted(out, key=lambda r: -len(r.alias))


_LEVEL_RANK = {"district_county": 3, "city": 2, "province": 1, "macro_region": 0}


def detect_region(title: str, text: str, regions: list[Region]) -> str | None:
    """Picks the most specific place a document is about.

    Mentions in the title weigh ten times those in the first 2,000 characters of
    text; among places mentioned, a district/county that is mentioned at least
    half as often as the top place wins over its city (a report by 路桥区 names
    台州市 often too).
    """
    scores: dict[str, float] = {}
    levels: dict[str, str] = {}
    for source, weight in ((title, 10.0), (text[:2000], 1.0)):
        masked = source
        for r in regions:  # longest first, and mask so 路桥区 is not also 路桥
            # looking for one character is several times faster than counting a name
            if r.alias[0] not in masked:
                continue
            n = masked.count(r.alias)
            if n:
                scores[r.full_name] = scores.get(r.full_name, 0.0) + n * weight
                levels[r.full_name] = r.level
                masked = masked.replace(r.alias, "\0")
    if not scores:
        return None
    top = max(scores.values())
    candidates = [name for name, s in scores.items() if s >= top / 2]
    return max(candidates, key=lambda n: (_LEVEL_RANK.get(levels[n], 0), scores[n], n))


def document_region(
    title: str, doc_type: str, paras: list[_Para], body_text: str, publisher: str | None, year: int | None, regions: list[Region]
) -> tuple[str | None, str | None, str]:
    """The region that issued a document, its 6-digit code, and how it was found.

    The issuer (title, issuing body, dateline, speaker's post; tasks/regions.py)
    comes first. Only without one does the most-mentioned place count, and for
    a government document never a place that is no administrative division
    (a regional grouping such as 长三角, a zone inside the region).

    Returns:
        (region, region_code, reason): reason is title, issuer, dateline,
        speaker or mentions; when region is null, 'ambiguous:<name>(<codes>)' or
        'not_found'; code is null for a mentioned place outside the gazetteer.
    """
    head_lines = [l for p in paras[:16] for l in p.text.splitlines()][:40]
    issuer = find_issuer(title, head_lines, publisher, year)
    if issuer is not None and issuer.region:
        return issuer.region, issuer.code, issuer.reason
    if issuer is not None:
        # a shared short name: left null with its candidates, never guessed
        return None, None, issuer.reason
    gaz = load_gazetteer()
    region = detect_region(title, body_text, regions)
    code = code_of(region, gaz)
    if region is not None and code is None and doc_type != "news":
        region = None  # a grouping or zone from the hand-kept list: not who issued a report
    if region is None:
        found = most_mentioned(title, body_text, gaz)
        if found is not None:
            return found.region, found.code, "mentions"
        return None, None, "not_found"
    return region, code, "mentions"


# --- shared line patterns ----------------------------------------------------------


_HEADING_PATTERNS = [
    (r"(?P<hashes>#{1,6})\s+", None),  # markdown: level = number of #
    (r"第[一二三四五六七八九十百]+[章篇部分]", 1),
    (r"[一二三四五六七八九十]+、", 1),
    (r"[(（][一二三四五六七八九十]+[)）]", 2),
    (r"\d{1,2}[.、](?!\d)", 3),
]
# the patterns as one alternation, in the same order (the first that matches wins, as
# when they were tried one by one): one match call per line instead of five
_HEADING = re.compile("^(?:" + "|".join(f"(?P<h{i}>{p})" for i, (p, _) in enumerate(_HEADING_PATTERNS)) + ")")
_HEADING_LEVELS = {f"h{i}": level for i, (_, level) in enumerate(_HEADING_PATTERNS)}
_CAPTION_NOUNS = re.compile(r"(全景图?|效果图|景观|夜色|一角|现场|风光|掠影|航拍|鸟瞰|供图|图片)$")
_BYLINE = re.compile(r"(本报记者|记者|通讯员|整理|供图|摄影?|报道)")
_DATE_LINE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


def heading_level(line: str) -> int | None:
    """Returns the outline level of a numbered or marked heading line, else None."""
    m = _HEADING.match(line)
    if m is None:
        return None
    level = _HEADING_LEVELS[m.lastgroup]
    return len(m.group("hashes")) if level is None else level


def is_byline(line: str) -> bool:
    """A credit line: '本报记者黄方考整理 路桥区委宣传部供图', '通讯员 王某 摄'.

    A cut body piece can end in 摄 or 报道 too ('…平摄'), so the line must name
    who (记者, 通讯员, a 供图/整理 credit) or hold the space that separates credits.
    """
    if not _BYLINE.search(line):
        return False
    names_who = bool(re.search(r"记者|通讯员|供图|整理|摄影", line))
    return names_who or (" " in line and line.endswith(("摄", "报道")))


def looks_like_heading(line: str) -> bool:
    """An unnumbered short line is a heading unless it reads as a cut sentence.

    Page layout cuts body text into short lines too ('推进全域整治。严格落实永久基本农田和',
    '…更新10万平方'): those carry a sentence end inside, trail off after a
    digit, or end on a pause mark, which headings do not.
    """
    return (
        len(line) <= 26
        and not re.search(r"[。;!?；！？]", line)
        and not line.endswith((",", "，", "、", ":", "："))
        and not re.search(r"\d", line[-4:])
    )


def _ends_sentence(line: str) -> bool:
    s = line.rstrip("”’\"')）】 \ufffd")
    return bool(s) and s[-1] in SENTENCE_TERMINATORS


@dataclass
class _Para:
    kind: str
    text: str
    level: int | None = None
    markdown: bool = False


@dataclass
class _Doc:
    title: str
    paras: list[_Para]
    layout: str
    tag: str | None = None
    publish_date: date | None = None
    crawl_date: date | None = None
    publisher: str | None = None


# --- article-like layouts ------------------------------------------------------------


def classify_lines(lines: list[str], *, captions: bool) -> list[_Para]:
    """Turns the text lines of an article body into typed paragraphs.

    Args:
        lines: Lines of the body, blank lines included (gaps mark images).
        captions: Whether short lines after an image gap are captions (newspapers).
    """
    paras: list[_Para] = []
    blank_run = 0
    for raw in lines:
        line = raw.strip()
        if not line:
            blank_run += 1
            continue
        gap = blank_run
        blank_run = 0
        level = heading_level(line)
        markdown = level is not None and line.startswith("#")
        if markdown:
            line = line.lstrip("#").strip()
        short = len(line) <= 40 and not _ends_sentence(line)
        if short and len(line) <= 45 and is_byline(line):
            paras.append(_Para("byline", line))
        elif captions and short and level is None and ((gap >= 2 and paras) or _CAPTION_NOUNS.search(line)):
            paras.append(_Para("caption", line))
        elif level is not None and len(line) <= 80:
            paras.append(_Para("heading", line, level, markdown))
        elif short and looks_like_heading(line):
            paras.append(_Para("heading", line, 1))
        else:
            paras.append(_Para("body", line))
    return paras


_TABLE_TITLE = re.compile(r"^(表\s*)?\d{1,2}\s*\S.{3,60}(表|指标)$")


def mark_tables(lines: list[str]) -> list[list[str] | str]:
    """Groups flattened tables (a title line, then one short cell per line).

    Returns the lines with each table replaced by a list: its title, then its
    non-blank cells in order, so that table text is never read as prose.
    """
    out: list[list[str] | str] = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i].strip()
        # a title ends in 表 or 指标: the other lines need no regex
        if line.endswith(("表", "指标")) and _TABLE_TITLE.match(line):
            cells = [l.strip() for l in lines[i + 1 : i + 40] if l.strip()]
            short = sum(1 for c in cells[:20] if len(c) <= 20)
            if len(cells) >= 10 and short >= 15:
                table = [line]
                j = i + 1
                while j < n:
                    cell = lines[j].strip()
                    if cell:
                        if len(cell) > 40 or heading_level(cell) in (1, 2) or cell.startswith("注"):
                            break
                        table.append(cell)
                    j += 1
                out.append(table)
                i = j
                continue
        out.append(lines[i])
        i += 1
    return out


def _article_paras(lines: list[str], *, captions: bool) -> list[_Para]:
    paras: list[_Para] = []
    pending: list[str] = []
    in_notes = False
    for item in mark_tables(lines):
        if isinstance(item, list):
            paras.extend(classify_lines(pending, captions=captions))
            pending = []
            paras.append(_Para("table", "\n".join(item)))
            in_notes = True
            continue
        stripped = item.strip()
        # a table's notes ('注:1) ... 2) ...') stay together as one caption
        if in_notes and stripped and (stripped.startswith("注") or (paras[-1].kind == "caption" and heading_level(stripped) is None and len(stripped) <= 200)):
            if stripped.startswith("注") or paras[-1].kind == "table":
                paras.extend(classify_lines(pending, captions=captions))
                pending = []
                paras.append(_Para("caption", stripped))
            else:
                paras[-1].text += "\n" + stripped
            continue
        if stripped:
            in_notes = False
        pending.append(item)
    paras.extend(classify_lines(pending, captions=captions))
    return paras


_FORUM_MARKERS = ("发表于", "显示全部楼层", "阅读模式", "TA的每日心情", "签到天数", "您需要登录后才可以回帖", "Powered by", "本版积分规则", "设为首页", "收藏本站", "回复:", "回复：")
_FORUM_FOOTER = re.compile(r"^(您需要登录后才可以回帖|本版积分规则|Powered by|客服中心|返回列表|快速回复)")
_PORTAL_MARKERS = ("索引号", "公开方式", "发布机构", "访问次数", "打印本页", "关闭窗口", "信息来源", "文件编号", "当前位置", "【字体", "来源：", "发布时间", "分享到")
_PORTAL_CHROME = re.compile(
    r"^(索引号|发布机构|有效性|发布日期|公开日期|访问次数|信息来源|打印本页|关闭窗口|如果内容不能正常显示|【字体|分享到|扫一扫"
    # portal page frames: the breadcrumb, HTML comment remnants, the print/download bar
    r"|当前位置|首页\s*[>＞»]|发布时间|<!--|-->|(?:[【\[]?\s*(?:下载|打印|全屏|收藏|关闭|分享)\s*[】\]]?\s*){2,}$"
    # article footers: the editor's credit, the e-mail/recommend bar, page numbers
    r"|[（(【\[]?\s*责任编辑\s*[:：]|[【\[]?\s*E-?mail\s*推荐|(?:\|?<<\s*)?上一页[\s\d]*下一页)"
)
# a portal's source line: '中央政府门户网站 www.gov.cn 2006年02月23日 14时43分 来源：人民网'
_SOURCE_LINE = re.compile(r"^.{0,80}?来源\s*[:：]\s*(?P<src>[^\s]{2,20})\s*$")
_SOURCE_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{1,2}-\d{1,2}")
_NEWS_BYLINE = re.compile(r"(本报记者|记者|通讯员|日报社).{0,12}(整理|报道)|供图$")


def detect_layout(lines: list[str]) -> str:
    """Recognises the source layout from the content of a file."""
    head = "\n".join(lines[:80])
    # the last 40 lines of a file of up to 80 are in its head already: not searched twice
    tail = "\n".join(lines[-40:]) if len(lines) > 80 else ""
    if _holds_markers(_FORUM_MARKERS, head, tail, 3):
        return "forum"
    if _holds_markers(_PORTAL_MARKERS, head, tail, 3):
        return "portal"
    # a date line and a '-' line both hold '-': the lines without one need no regex
    dashed = [l for l in lines if "-" in l]
    dates = sum(1 for l in dashed if _DATE_LINE.match(l))
    if dates >= 2 and sum(1 for l in dashed if l.strip() == "-") >= 2:
        return "listing"
    first = lines[:200]
    # no byline word in the first 200 lines at all (the common case): no line needs a look
    if _may_be_news_byline("\n".join(first)) and any(_may_be_news_byline(l) and _NEWS_BYLINE.search(l.strip()) for l in first):
        return "newspaper"
    return "plain"


def _holds_markers(markers: tuple[str, ...], head: str, tail: str, need: int) -> bool:
    """Whether at least ``need`` of the markers occur in head or tail.

    Stops as soon as the answer is known: every marker is a scan of up to 80 lines.
    """
    found = 0
    for i, marker in enumerate(markers):
        if marker in head or marker in tail:
            found += 1
            if found >= need:
                return True
        elif found + len(markers) - i - 1 < need:
            return False
    return False


def _may_be_news_byline(line: str) -> bool:
    """Whether a line holds what _NEWS_BYLINE needs: substring tests are many times faster than its search."""
    return "记者" in line or "通讯员" in line or "日报社" in line or "供图" in line


_BRACKET_TAG = re.compile(r"^\s*[\[【]([^\]】]{1,12})[\]】]\s*")


def split_tag(title: str) -> tuple[str, str | None]:
    """Removes a category prefix like 【投资瓯海区】 or [浙江] from a title."""
    m = _BRACKET_TAG.match(title)
    if m:
        return title[m.end():].strip(), m.group(1)
    return title.strip(), None


def parse_forum(lines: list[str]) -> _Doc:
    """Keeps the first post of a forum thread; drops badges, counters and footer."""
    title = next((l.strip() for l in lines if l.strip() and not any(m in l for m in ("设为首页", "查看:", "回复:", "查看：", "回复："))), "")
    title, tag = split_tag(title)
    start = next((i + 1 for i, l in enumerate(lines) if "发表于" in l), 0)
    end = next((i for i in range(start, len(lines)) if _FORUM_FOOTER.match(lines[i].strip())), len(lines))
    body = [l for l in lines[start:end]]
    # the post repeats the thread title as its first line
    while body and not body[0].strip():
        body.pop(0)
    if body and body[0].strip() == title:
        body.pop(0)
    paras = _article_paras(body, captions=False)
    return _Doc(title=title, paras=paras, layout="forum", tag=tag)


_META = re.compile(r"(发布机构|公开日期|发布日期|发布时间|信息来源)\s*[:：]\s*([^\s]+(?:\s\d{1,2}:\d{2})?)")


def _parse_date(s: str | None) -> date | None:
    if not s:
        return None
    m = re.search(r"(\d{4})[-年/.](\d{1,2})[-月/.](\d{1,2})", s)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def parse_portal(lines: list[str]) -> _Doc:
    """Keeps a portal page's article; its metadata block becomes fields."""
    meta: dict[str, str] = {}
    body: list[str] = []
    for line in lines:
        s = line.strip()
        if not s:
            body.append(line)  # a blank line holds no field, chrome or source
            continue
        # substring tests first: every field _META reads names one of these, a source line 来源
        if "发布" in s or "公开日期" in s or "信息来源" in s:
            for key, value in _META.findall(s):
                meta.setdefault(key, value)
        if _PORTAL_CHROME.match(s) or ("索引号" in s and "公开方式" in s):
            continue
        src = _SOURCE_LINE.match(s) if len(s) <= 100 and "来源" in s else None
        if src:
            meta.setdefault("来源", src.group("src"))
            published = _SOURCE_DATE.search(s)
            if published:
                meta.setdefault("发布日期", published.group(0))
            continue
        body.append(line)
    while body and not body[0].strip():
        body.pop(0)
    title = body.pop(0).strip() if body else ""
    paras = _article_paras(body, captions=False)
    publisher = meta.get("发布机构") or meta.get("信息来源") or meta.get("来源")
    published = _parse_date(meta.get("公开日期") or meta.get("发布日期") or meta.get("发布时间"))
    return _Doc(title=title, paras=paras, layout="portal", publish_date=published, publisher=publisher)


def _is_dateline_or_speaker(line: str) -> bool:
    line = line.strip()
    return bool(_NOT_A_TITLE.search(_normalize_dates(line))) or (
        len(line) <= 40 and bool(_SPEAKER_LINE.search(line) or _SPEAKER_POST_LINE.search(line))
    )


def parse_article(lines: list[str], layout: str) -> _Doc:
    """Reads a newspaper or plain article: headline first, then the body."""
    paras = _article_paras(lines, captions=layout == "newspaper")
    title = ""
    # the headline is the longest of the leading short lines before the first body
    # text; a markdown '# ' line is the headline outright
    lead = []
    for p in paras:
        if p.kind == "body" or p.kind == "byline":
            break
        lead.append(p)
    marked = [p for p in lead if p.markdown and p.level == 1]
    # a report's dateline subtitle and its speaker line are never its headline
    lead = [p for p in lead if not _is_dateline_or_speaker(p.text)]
    # a lead line naming a report ('政府工作报告') beats a longer masthead or edition line
    named = [p for p in lead if _REPORT_NAME_LINE.match(p.text.strip())]
    if lead:
        chosen = marked[0] if marked else named[0] if named else max(lead[:3], key=lambda p: len(p.text))
        title = chosen.text
        paras = [p for p in paras if p is not chosen]
    return _Doc(title=title, paras=paras, layout=layout)


# --- listing pages ---------------------------------------------------------------------------

_ITEM_MARK = re.compile(r"(?<=[。;!?；！？”])(?=\d{1,2}\.(?!\d))")
_HEADING_END = re.compile(r"\d{1,2}\.(?!\d)|[。;:!?；：！？]|一年来|过去一年|各位代表|按照|根据|今年|当前|\d{4}年是")


def split_listing_body(body: str, target_chars: int = 300) -> list[_Para]:
    """Splits a listing record's one-line body into headings and paragraphs.

    The crawler flattened each article to one line; a space before 一、 or (一)
    still marks where its sections began, and '1.' after a sentence end marks a
    numbered item. Between those, sentences are grouped into paragraphs of about
    ``target_chars`` characters so no paragraph is a whole article.
    """
    paras: list[_Para] = []
    for segment in re.split(r"\s+(?=[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）])|(?<=[。!?！？])(?=[(（][一二三四五六七八九十]+[)）])", body.strip()):
        segment = segment.strip()
        if not segment:
            continue
        mark = re.match(r"^([一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）])", segment)
        if mark:
            level = 1 if mark.group(1).endswith("、") else 2
            marker = mark.group(1)
            rest = segment[len(marker):]
            m = _HEADING_END.search(rest, 2)
            cut = m.start() if m else len(rest)
            if m and m.group(0) in "。;!?":
                cut += 1
            if cut <= 40 and cut < len(rest):
                paras.append(_Para("heading", marker + rest[:cut].rstrip(":"), level))
                segment = rest[cut:].lstrip(":").strip()
            elif cut >= len(rest) and len(rest) <= 40:
                paras.append(_Para("heading", segment, level))
                continue
        for item in _ITEM_MARK.split(segment):
            paras.extend(_group_sentences(item.strip(), target_chars))
    return [p for p in paras if p.text]


def _group_sentences(text: str, target_chars: int) -> list[_Para]:
    if not text:
        return []
    out: list[_Para] = []
    buf = ""
    for piece in re.split(r"(?<=[。!?;！？；])", text):
        # spaces inside a flattened body are breaks, not content
        piece = re.sub(r"\s+", "", piece) if re.search(r"[\u3400-\u9fff]\s+[\u3400-\u9fff]", piece) else piece.strip()
        if not piece:
            continue
        buf += piece
        if len(buf) >= target_chars and buf[-1] in "。!?;":
            out.append(_Para("body", buf))
            buf = ""
    if buf:
        out.append(_Para("body", buf))
    return out


_SPEAKER = re.compile(
    r"^(?P<date>\d{4}年\d{1,2}月\d{1,2}日)在(?P<meeting>[^,，。]{4,40}?(?:会议|大会)上)"
    rf"(?:\s*(?P<org>[{HAN_UNIFIED}]{{2,12}}?))?\s*"
    rf"(?P<title>代?(?:区长|县长|市长|省长|州长|旗长))\s*(?P<name>[{HAN_UNIFIED}]{{2,3}}?)(?=各位代表|\s|$)"
)


def parse_listing(lines: list[str], cfg: IngestConfig) -> tuple[list[_Doc], list[tuple[str, str]]]:
    """Splits a listing page into its records; footer links are chrome.

    Returns the documents and, for each record that is not a whole document
    (no body, or no date line), a (reason, detail) pair.
    """
    docs: list[_Doc] = []
    problems: list[tuple[str, str]] = []
    record: list[str] = []
    for line in lines + ["-"]:
        s = line.strip()
        if s == "-" or s.startswith("- ") or (_DATE_LINE.match(s) and record):
            # a date line ends its record; a '-' line starts the next one
            if _DATE_LINE.match(s):
                record.append(s)
            if record:
                _close_record(record, docs, problems, cfg)
            record = []
            continue
        if s:
            record.append(s)
    return docs, problems


def _close_record(record: list[str], docs: list[_Doc], problems: list[tuple[str, str]], cfg: IngestConfig) -> None:
    m = _DATE_LINE.match(record[-1])
    if m is None:
        # the text after the last record ('有想补充的信息?点我投稿') is site chrome
        if len(record) == 1 and len(record[0]) < 40:
            return
        problems.append((reasons.MALFORMED_LISTING_RECORD, f"record {record[0][:40]!r} has no date line"))
        return
    crawl = _parse_date(record[-1])
    content = record[:-1]
    if len(content) < 2:
        problems.append((reasons.MALFORMED_LISTING_RECORD, f"record dated {record[-1]} has no body ({len(content)} lines)"))
        return
    title, tag = split_tag(content[0])
    body = " ".join(content[1:])
    paras: list[_Para] = []
    sp = _SPEAKER.match(body)
    if sp:
        paras.append(_Para("byline", sp.group(0)))
        body = body[sp.end():]
    paras.extend(split_listing_body(body, cfg.listing_para_chars))
    docs.append(_Doc(title=title, paras=paras, layout="listing", tag=tag, crawl_date=crawl))


# --- document metadata ------------------------------------------------------------------------

_PLAN_PERIOD = re.compile(r"“?十([一二三四五六七八九])五”?")


def _plan_period_start(numeral: str) -> int:
    """First year of the Nth five-year plan (十三五 -> 2016, 十四五 -> 2021)."""
    # plans have run back to back in five-year steps since the 11th (2006-2010)
    n = 10 + CN_DIGIT_VALUES[numeral]
    return 2006 + 5 * (n - 11)


_CN_NUMERAL = "〇零一二三四五六七八九十"
_NPC_DATELINE = re.compile(rf"在[^。,，\n]{{0,30}}?第[{_CN_NUMERAL}\d]+届[^。,，\n]{{0,6}}?人民代表大会第[{_CN_NUMERAL}\d]+次会议上")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
# str.translate looks up every character of a non-ASCII text: a regex finds out first whether it must
_FULLWIDTH_DIGIT = re.compile("[０-９]")
# a space inside a date: the space first, so the regex engine skips to spaces
_SPACE_IN_DATE = re.compile(r" (?:(?<=\d )(?=[\d年月日])|(?<=[年月] )(?=\d))")
_CN_DATE = re.compile(r"([〇○零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月(?:([一二三四五六七八九十]{1,3})日)?")
_CN_MONTH = re.compile(r"年[一二三四五六七八九十]")


def _cn_small(s: str) -> int:
    """一 -> 1, 十二 -> 12, 二十七 -> 27, 三十一 -> 31."""
    if "十" not in s:
        return CN_DIGIT_VALUES[s]
    tens, _, ones = s.partition("十")
    return (CN_DIGIT_VALUES[tens] if tens else 1) * 10 + (CN_DIGIT_VALUES[ones] if ones else 0)


def _normalize_dates(text: str) -> str:
    """Writes dates in ASCII digits so one pattern reads them all.

    Datelines come with full-width digits (１９９０年３月２０日), spaced digits
    from page layout (1 9 9 8 年3 月5 日) or Chinese numerals (二〇二六年一月二十七日).
    """
    if _FULLWIDTH_DIGIT.search(text):
        text = text.translate(_FULLWIDTH_DIGITS)
    if " " in text:
        text = _SPACE_IN_DATE.sub("", text)
    # most texts hold no date in Chinese numerals: a search for what its month needs
    # (年 then a numeral) is several times faster than the sub trying every numeral
    if _CN_MONTH.search(text) is None:
        return text
    return _CN_DATE.sub(_cn_date, text)


def _cn_date(m: re.Match) -> str:
    year = "".join(str("〇一二三四五六七八九".index(c)) if c in "〇一二三四五六七八九" else "0" for c in m.group(1))
    out = f"{year}年{_cn_small(m.group(2))}月"
    return out + (f"{_cn_small(m.group(3))}日" if m.group(3) else "")


def classify_doc_type(title: str, text: str) -> str:
    """Names the kind of document from its title and opening text."""
    head = text[:600]
    if "政府工作报告" in title:
        return "gov_work_report"
    if re.search(r"五年规划|规划纲要|远景目标纲要", title):
        return "five_year_plan"
    # a report given to a people's congress session, whatever page carries it: the
    # heading names it (政府工作报告) or the title is a report and its dateline
    # names the session (——1958年2月3日在第一届全国人民代表大会第五次会议上)
    dateline = _NPC_DATELINE.search(_normalize_dates(title + "\n" + head))
    gives_report = "政府工作报告" in head or re.search(r"报告(?:[（(][^）)]{1,8}[）)])?$", title.strip()) or re.search(
        r"(?:省长|市长|区长|县长|州长|旗长|盟长|主席|总理)", head[:300])
    if dateline and gives_report:
        return "gov_work_report"
    if re.search(r"党代会|党代表大会|党的代表大会", head):
        return "party_congress"
    if re.search(r"代表大会第.次会议上.{0,30}(区长|县长|市长)", head):
        return "gov_work_report"
    return "news"


def infer_event(doc_type: str, title: str, text: str) -> tuple[date | None, int | None]:
    """Finds the event date and the document's year from the text.

    A full date ('2022年2月18日在…会议上') is taken as is. A meeting dated only by
    month and day ('12月28日,路桥区召开…党代会') takes its year from the work it
    sums up or plans ('总结2024年工作,部署2025年任务'), or from the plan period it
    says has just closed ('“十三五”圆满收官…开局').
    """
    head = _normalize_dates(text[:1500])
    # a dateline may span days: '7月5日至6日', '12月21日和22日', '11月30日和12月1日'
    m = re.search(r"((?:19|20)\d{2})年(\d{1,2})月(\d{1,2})日(?:[至和、](?:\d{1,2}月)?\d{1,2}日)?\s*[在,，]", head)
    if m:
        d = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        year = int(m.group(1))
        # a report for year N given in November/December of N-1 says N in its title
        said = re.search(r"((?:19|20)\d{2})年", _normalize_dates(title))
        if said and int(said.group(1)) == year + 1 and int(m.group(2)) >= 11:
            year += 1
        return d, year
    # the meeting pattern needs 召开: most heads lack it, and the search would try every digit
    m = re.search(r"(?<![\d年])(\d{1,2})月(\d{1,2})日(?:至\d{1,2}日)?[,，]?[^。]{0,20}?召开", head) if "召开" in head else None
    if m:
        month, day = int(m.group(1)), int(m.group(2))
        year = None
        plan = re.search(r"部署((?:19|20)\d{2})年", head)
        summed = re.search(r"总结((?:19|20)\d{2})年", head)
        closed = re.search(r"十([一二三四五六七八九])五”?[^。]{0,6}收官[^。]{0,30}开局", text[:3000])
        if plan:
            year = int(plan.group(1)) if month <= 6 else int(plan.group(1)) - 1
        elif summed:
            year = int(summed.group(1)) + (1 if month <= 6 else 0)
        elif closed:
            year = _plan_period_start(closed.group(1)) + 5
        if year:
            return _safe_date(year, month, day), year
    if doc_type == "five_year_plan":
        pm = _PLAN_PERIOD.search(title) or re.search(r"第十([一二三四五六七八九])个五年规划", title)
        if pm:
            return None, _plan_period_start(pm.group(1))
    for source in (title, text[:300]):
        y = re.search(r"((?:19|20)\d{2})年", source)
        if y:
            return None, int(y.group(1))
    return None, None


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


_SPEAKER_LINE = re.compile(rf"(?P<title>代?(?:区长|县长|市长|省长|州长|旗长|书记))\s*(?P<name>[{HAN_UNIFIED}]{{2,3}})$")
_SPEAKER_INLINE = re.compile(rf"(?:人民政府|政府)(?P<title>代?(?:区长|县长|市长|省长))(?P<name>[{HAN_UNIFIED}]{{2,3}}?)(?=各位代表|$|\s)")
_SPEAKER_BYLINE = re.compile(rf"(?:会议|大会)上.{{0,14}}?(?P<title>代?(?:区长|县长|市长|省长))(?P<name>[{HAN_UNIFIED}]{{2,3}}?)$")


# A name: two to four characters, a space allowed inside ('张 三' in typeset bylines),
# or a transliterated name with a middle dot (艾尔肯·吐尼亚孜)
_NAME = rf"(?:[{HAN_UNIFIED}]{{1,8}}[·•・‧．][{HAN_UNIFIED}]{{1,10}}|[{HAN_UNIFIED}](?:[ \u3000]?[{HAN_UNIFIED}]){{1,3}})"
# A speaker's post: head of a government at any level, or a minister reporting for
# the State Council ('国务院副总理兼国家计划委员会主任', '国务委员兼…主任')
_POST = (
    rf"(?:(?:国务院)?(?:副总理|国务委员)兼[{HAN_UNIFIED}]{{2,14}}?(?:主任|部长)"
    r"|(?:代理|代|副)?(?:总理|省长|市长|区长|县长|州长|旗长|盟长|主席))"
)
# 'X省人民政府省长 张三', '省长　张三', '国务院总理 李克强', '自治区主席 张 三' as a line of its own
_SPEAKER_POST_LINE = re.compile(
    rf"^(?:[{HAN_UNIFIED}]{{0,24}}?(?:人民政府|政府|国务院|自治区|省|市|区|县|州|旗|盟))?(?P<title>{_POST})[\s\u3000]*(?P<name>{_NAME})$"
)
# the same post and name run on after a dateline or before the salutation:
# '…第五次会议上国务院总理　李克强', '…会议上国务院总理 李克强各位代表:'
_SPEAKER_POST_INLINE = re.compile(
    rf"会议上[\s\u3000]*(?:[{HAN_UNIFIED}]{{0,24}}?(?:人民政府|政府|国务院))?(?P<title>{_POST})[\s\u3000]*(?P<name>{_NAME}?)(?=[\s\u3000]*各位代表|[\s\u3000]*$)"
)
# a photo caption or lead: '国务院总理李克强作政府工作报告', '张三代表省政府作政府工作报告'
_SPEAKER_CAPTION = re.compile(
    rf"(?:^|[\s,，。])(?:[{HAN_UNIFIED}]{{0,12}}?(?:人民政府|政府|国务院))?(?P<title>{_POST})?(?P<name>{_NAME}?)"
    rf"(?:代表[{HAN_UNIFIED}]{{2,8}}?)?(?:在[^，。]{{2,40}}?上)?(?:向大会)?作《?政府工作报告"
)


_NOT_A_NAME = re.compile(r"[我们向大会议本届政府代表]")


def infer_speaker(paras: list[_Para]) -> tuple[str | None, str | None]:
    """Finds who gave a report: a byline like '台州市路桥区区长 牟傲野'."""
    for p in paras[:6]:
        if p.kind not in ("byline", "heading", "body"):
            continue
        for line in p.text.splitlines():
            m = _SPEAKER_LINE.search(line.strip()) if len(line.strip()) <= 30 else None
            # substring tests first: each pattern needs its words, and most lines hold neither
            m = m or ("政府" in line and _SPEAKER_INLINE.search(line)) or (
                ("会议上" in line or "大会上" in line) and _SPEAKER_BYLINE.search(line))
            if m:
                return m.group("name"), m.group("title")
    # bylines of other layouts: a post-and-name line, the post after the dateline,
    # then a photo caption naming who gave the report
    lines = [l.strip() for p in paras[:14] if p.kind in ("byline", "heading", "body", "caption") for l in p.text.splitlines()]
    for pattern, max_len in ((_SPEAKER_POST_LINE, 40), (_SPEAKER_POST_INLINE, None), (_SPEAKER_CAPTION, 200)):
        for line in lines:
            if max_len is not None and len(line) > max_len:
                continue
            if pattern is _SPEAKER_CAPTION and "政府工作报告" not in line:
                continue  # the caption pattern needs it, and its search is slow on a line without
            m = pattern.search(line[:400])
            if m and pattern is _SPEAKER_CAPTION and not m.group("title") and (m.start() > 0 or _NOT_A_NAME.search(m.group("name") or "")):
                # without a post, only a caption that opens with the name counts
                # ('张三作政府工作报告'), never '…,向大会作政府工作报告'
                continue
            if m and m.group("name"):
                name = re.sub(r"[ \u3000]", "", m.group("name"))
                if len(name) >= 2:
                    return name, m.group("title")
    return None, None


# The report's name before its dateline: '政府工作报告——2018年3月5日在…', '政 府 工 作
# 报 告 ——2006年…' (typeset with spaces), after a wire dateline ('…北京3月14日电政府工作报告——…')
_REPORT_NAME = re.compile(
    r"(?P<name>[^\s，。、；：:—\-－]{0,30}?报告(?:[（(](?:摘要|全文|草案)[）)])?)\s*(?:——|－－|--|—)\s*\d"
)
# what every match of _REPORT_NAME ends with: the report, then the dash and digit of its dateline
_REPORT_NAME_END = re.compile(r"报告(?:[（(](?:摘要|全文|草案)[）)])?\s*(?:——|－－|--|—)\s*\d")
_REPORT_NAME_LINE = re.compile(r"^(?P<name>[^\s，。、；：:—\-－]{0,30}?报告(?:[（(](?:摘要|全文|草案)[）)])?)$")
_DATELINE_START = re.compile(r"^(?:——|－－|--|—)\s*\d")
_WIRE_PREFIX = re.compile(r"^.*?\d{1,2}月\d{1,2}日电")
# a headline about a report, not its name: '温家宝所作政府工作报告（十一届人大三次会议）',
# 'X在…会议上所作政府工作报告'
_ABOUT_REPORT = re.compile(
    rf"^[{HAN_UNIFIED}·]{{2,10}}?(?:在[^，。]{{2,30}}?上)?所?作(?P<name>[{HAN_UNIFIED}]{{2,20}}?报告)(?:[（(][^）)]{{2,30}}[）)])?$"
)
# a space typeset between two characters ('政 府 工 作 报 告')
_SPACE_IN_HAN = re.compile(rf"(?<=[{HAN_UNIFIED}])[ \u3000](?=[{HAN_UNIFIED}])")
# titles that are not a name: a dateline subtitle or a wire dateline
_NOT_A_TITLE = re.compile(r"^(?:——|－－|--|—)|^\d{4}年\d{1,2}月\d{1,2}日(?:[至和]\d{1,2}日)?在.{2,40}会议上$|电$")


def report_title(title: str, lines: list[str]) -> str:
    """The report's name, when the page's headline is not it.

    A headline that names a report ('1954年国务院政府工作报告', '2022年X区政府工作报告',
    '关于…的报告') stays. A headline about the report ('X所作政府工作报告') gives the
    name inside it. An empty headline, a dateline, a wire dateline or a masthead
    ('河北日报') gives way to the name the report itself opens with: a name line
    run on or followed by its dateline ('政府工作报告——2018年3月5日在…').
    """
    t = title.strip()
    about = _ABOUT_REPORT.match(t)
    if about:
        return about.group("name")
    # a headline that runs the name into its dateline ('1979年政府工作报告——1979年6月18日在…')
    run_on = _REPORT_NAME.match(_normalize_dates(t))
    if run_on and len(_WIRE_PREFIX.sub("", run_on.group("name"))) >= 4:
        return _WIRE_PREFIX.sub("", run_on.group("name"))
    good = bool(t) and not _NOT_A_TITLE.search(_normalize_dates(t))
    if good and re.search(r"(?:报告|纲要|规划)(?:[（(][^）)]{1,10}[）)])?$", t):
        return t
    for i, raw in enumerate(lines[:15]):
        if "告" not in raw:
            continue  # both name patterns need 报告 (normalising only joins digits and spaced CJK)
        line = _normalize_dates(_SPACE_IN_HAN.sub("", raw.strip()))
        # _REPORT_NAME's lazy name prefix is tried at every position: first look for its end
        m = _REPORT_NAME.search(line[:600]) if _REPORT_NAME_END.search(line[:600]) else None
        named = _REPORT_NAME_LINE.match(line)
        if not m and named and i + 1 < len(lines) and _DATELINE_START.match(_normalize_dates(lines[i + 1].strip())):
            m = named
        if m:
            name = _WIRE_PREFIX.sub("", m.group("name"))
            if len(name) >= 4:
                return name
    # a dateline is never a title: better none than the dateline
    return t if good else ""


def _mark_report_bylines(paras: list[_Para]) -> None:
    """The date/meeting line and the speaker line of a report are bylines."""
    for p in paras[:6]:
        if p.kind in ("heading", "body") and len(p.text) <= 60 and (
            re.match(r"^\d{4}年\d{1,2}月\d{1,2}日在.{4,40}(会议|大会)上$", p.text) or _SPEAKER_LINE.search(p.text)
            # the same lines in other layouts: a dash before the dateline, digits in any
            # script, a post-and-name line ('国务院总理 温家宝', '自治区主席 张 三')
            or re.match(r"^(?:——|－－|--|—)\s*\d{4}年\d{1,2}月\d{1,2}日.{0,8}?在.{4,40}(会议|大会)上$", _normalize_dates(p.text.strip()))
            or _SPEAKER_POST_LINE.search(p.text.strip())
        ):
            p.kind = "byline"


# --- the stage ------------------------------------------------------------------------------------------


def _sections(paras: list[_Para]) -> list[str]:
    stack: list[tuple[int, str]] = []
    out = []
    section = ""  # the stack joined: only a heading changes it
    for p in paras:
        if p.kind == "heading":
            level = p.level or 1
            while stack and stack[-1][0] >= level:
                stack.pop()
            out.append(" > ".join(t for _, t in stack))
            stack.append((level, p.text))
            section = " > ".join(t for _, t in stack)
        else:
            out.append(section)
    return out


_UNICODE_ESCAPE = re.compile(r"<U\+([0-9A-Fa-f]{4,5})>")


def _unescape(m: re.Match) -> str:
    cp = int(m.group(1), 16)
    # a surrogate or out-of-range escape is not a character: left as written
    return m.group(0) if 0xD800 <= cp <= 0xDFFF or cp > 0x10FFFF else chr(cp)


# A page body copied out of a JSON or JavaScript string keeps its escapes as text:
# literal backslash-r-backslash-n (or backslash-n) between paragraphs, in a file with
# few real line breaks
_ESCAPED_BREAK = re.compile(r"(?:\\r)?\\n|\\r")


def unescape_line_breaks(text: str) -> str:
    """Turns literal '\\r\\n' / '\\n' escapes into line breaks when they, not real breaks, cut the text."""
    escaped = len(_ESCAPED_BREAK.findall(text)) if "\\" in text else 0
    if escaped < 3 or escaped <= text.count("\n"):
        return text
    return _ESCAPED_BREAK.sub("\n", text.replace("\\t", "\t"))


def parse_text(text: str, cfg: IngestConfig = IngestConfig()) -> tuple[list[_Doc], list[tuple[str, str]]]:
    """Recognises the layout of one decoded file and splits it into documents.

    Returns the documents and (reason, detail) pairs for parts that gave none.
    """
    text = unescape_line_breaks(text).replace("\r\n", "\n").replace("\r", "\n")
    # some crawlers write characters they could not encode as '<U+00A0>': decode them back
    text = _UNICODE_ESCAPE.sub(_unescape, text)
    lines = text.split("\n")
    layout = detect_layout(lines)
    if layout == "listing":
        return parse_listing(lines, cfg)
    if layout == "forum":
        doc = parse_forum(lines)
    elif layout == "portal":
        doc = parse_portal(lines)
    else:
        doc = parse_article(lines, layout)
    return [doc], []


def list_input_files(input_dir: Path | str, cfg: IngestConfig = IngestConfig()) -> list[Path]:
    """The files ingest reads under input_dir, in sorted path order (dot-files skipped)."""
    input_dir = Path(input_dir)
    if not input_dir.is_dir():
        raise FileNotFoundError(f"input folder {input_dir} does not exist")
    return sorted(
        p for p in input_dir.glob(cfg.glob)
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(input_dir).parts)
    )


@dataclass(frozen=True)
class FileRead:
    """What one input file gives before corpus-wide ids are assigned.

    Attributes:
        rel: Path relative to the input folder.
        size: Bytes on disk.
        sha: SHA-256 of the bytes (None when they could not be read).
        docs: Per document: its row without doc_id, its (kind, section, text)
            paragraphs and the digest its doc_id is cut from.
        quarantine: (reason, detail, sha) rows for the file or parts of it.
    """

    rel: str
    size: int
    sha: str | None
    docs: list[tuple[dict, list[tuple[str, str, str]], str]]
    quarantine: list[tuple[str, str, str | None]]


def read_file(path: Path, rel: str, cfg: IngestConfig, regions: list[Region]) -> FileRead:
    """Reads, decodes and parses one file into documents (no ids yet) and quarantine rows."""
    size = path.stat().st_size
    if size > cfg.max_file_bytes:
        return FileRead(rel, size, None, [], [(reasons.FILE_TOO_LARGE, f"{size} bytes is over the {cfg.max_file_bytes}-byte limit", None)])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return FileRead(rel, size, None, [], [(reasons.UNREADABLE_FILE, f"could not read: {exc}", None)])
    sha = hashlib.sha256(raw).hexdigest()
    quarantine: list[tuple[str, str, str | None]] = []
    try:
        text, encoding, warning = decode_bytes(raw)
    except DecodeError as exc:
        return FileRead(rel, size, sha, [], [(exc.reason, exc.detail, sha)])
    del raw
    if warning:
        quarantine.append((reasons.TRUNCATED_ENCODING, warning + "; the rest of the file was ingested", sha))
    docs, problems = parse_text(text, cfg)
    quarantine.extend((reason, detail, sha) for reason, detail in problems)
    out = []
    for doc in docs:
        paras = [p for p in doc.paras if p.text.strip()]
        if not any(p.kind in ("body", "table") for p in paras):
            quarantine.append((reasons.NO_DOCUMENT_TEXT, f"no body text found in {doc.layout} layout (document {doc.title[:30]!r})", sha))
            continue
        body_text = "\n".join(p.text for p in paras)
        title = report_title(doc.title, [l for p in paras[:15] for l in p.text.splitlines()])
        doc_type = classify_doc_type(title, body_text)
        if doc_type == "gov_work_report":
            _mark_report_bylines(paras)
        event_date, year = infer_event(doc_type, title, body_text)
        if year is None and doc.publish_date:
            year = doc.publish_date.year
        speaker, speaker_title = infer_speaker(paras) if doc_type in ("gov_work_report", "party_congress") else (None, None)
        region, region_code, region_reason = document_region(title, doc_type, paras, body_text, doc.publisher, year, regions)
        digest = hashlib.sha256((doc.title + "\n" + body_text).encode("utf-8")).hexdigest()
        row = dict(
            source_file=rel,
            source_sha256=sha,
            source_layout=doc.layout,
            encoding=encoding,
            title=title,
            tag=doc.tag,
            doc_type=doc_type,
            region=region,
            region_code=region_code,
            region_reason=region_reason,
            year=year,
            event_date=event_date,
            publish_date=doc.publish_date,
            crawl_date=doc.crawl_date,
            publisher=doc.publisher,
            speaker=speaker,
            speaker_title=speaker_title,
            n_chars=sum(len(p.text) for p in paras),
            n_paragraphs=len(paras),
            is_duplicate=False,
            duplicate_of=None,
        )
        out.append((row, [(p.kind, section, p.text) for p, section in zip(paras, _sections(paras))], digest))
    if not docs and not problems:
        quarantine.append((reasons.NO_DOCUMENT_TEXT, "no document found in the file", sha))
    return FileRead(rel, size, sha, out, quarantine)


PARAGRAPH_TEXT_COLUMNS = ["kind", "section", "text"]


@dataclass(frozen=True)
class ReadBatch:
    """What one job of ingest_folder gives back: its files, their paragraphs as Arrow columns.

    Arrow columns pickle as a few buffers, where lists of str pickle string by
    string; and the table the caller builds takes them as they are.

    Attributes:
        reads: Per file, its FileRead with each document's paragraphs left out
            (an empty list): they are in ``paragraphs``.
        n_paras: Per file, the number of paragraphs of each of its documents.
        paragraphs: kind, section and text of every paragraph, in file and
            document order.
    """

    reads: list[FileRead]
    n_paras: list[list[int]]
    paragraphs: pa.Table


def _read_files(job: tuple[list[tuple[Path, str]], IngestConfig]) -> ReadBatch:
    files, cfg = job
    regions = load_regions()
    reads = [read_file(path, rel, cfg, regions) for path, rel in files]
    paras = [p for read in reads for _, doc_paras, _ in read.docs for p in doc_paras]
    columns = [pa.array([p[i] for p in paras], type=pa.large_string()) for i in range(2)]
    columns.append(large_string_array([p[2] for p in paras]))
    return ReadBatch(
        reads=[FileRead(r.rel, r.size, r.sha, [(row, [], digest) for row, _, digest in r.docs], r.quarantine)
               for r in reads],
        n_paras=[[len(doc_paras) for _, doc_paras, _ in r.docs] for r in reads],
        paragraphs=pa.table(columns, names=PARAGRAPH_TEXT_COLUMNS),
    )


def _paragraph_table(batches: list[ReadBatch], doc_ids: list[str], n_paras: list[int], kept: np.ndarray) -> pd.DataFrame:
    """The raw paragraphs table: every kept document's paragraphs, numbered from 0 in each.

    Args:
        batches: The jobs' results, in path order.
        doc_ids: Id of each kept document, in order.
        n_paras: Paragraphs of each kept document.
        kept: Positions, among the batches' paragraphs, of the kept documents' ones.

    Returns:
        doc_id, para_id (int64), kind, section and text, typed as pandas types
        a table built from rows of str (object columns when empty).
    """
    columns = ["doc_id", "para_id"] + PARAGRAPH_TEXT_COLUMNS
    if not len(kept):
        return pd.DataFrame([], columns=columns)  # typed as before: object columns
    table = pa.concat_tables([b.paragraphs for b in batches])
    if len(kept) < len(table):
        table = table.take(pa.array(kept))
    doc_column = pa.array(doc_ids, type=pa.large_string()).take(pa.array(np.repeat(np.arange(len(doc_ids)), n_paras)))
    out = {"doc_id": _str_column(doc_column), "para_id": _para_ids(n_paras)}
    out.update({c: _str_column(table.column(c)) for c in PARAGRAPH_TEXT_COLUMNS})
    return pd.DataFrame(out, columns=columns)


def _str_column(values: pa.Array | pa.ChunkedArray) -> object:
    """Arrow strings as the column pandas makes of a list of str (its Arrow buffers kept when it stores them so)."""
    dtype = pd.Series([""]).dtype
    if getattr(dtype, "storage", None) == "pyarrow":
        return pd.array(values, dtype=dtype)
    return values.to_pylist()


def _para_ids(n_paras: list[int]) -> np.ndarray:
    """0..n-1 for each document of n paragraphs, in one array."""
    counts = np.asarray(n_paras, dtype=np.int64)
    return np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)


def ingest_folder(
    input_dir: Path | str, cfg: IngestConfig = IngestConfig(), only: set[str] | None = None, workers: int = 1
) -> IngestResult:
    """Reads every file under input_dir into documents, paragraphs and quarantine.

    Args:
        input_dir: Folder of raw files; read recursively, in sorted path order.
        cfg: Ingest settings.
        only: Read just these files (paths relative to input_dir), e.g. the ones
            an incremental run found new or changed.
        workers: Processes reading and parsing files; ids and duplicate checks
            are assigned afterwards in path order, so the result is the same.

    Returns:
        The three tables and counts (files, documents, paragraphs, quarantined).
    """
    input_dir = Path(input_dir)
    files = list_input_files(input_dir, cfg)
    rels = [p.relative_to(input_dir).as_posix() for p in files]
    pairs = [(p, r) for p, r in zip(files, rels) if only is None or r in only]
    # a few dozen jobs per worker: balanced, yet little pickling overhead
    n_jobs = 1 if workers == 1 else workers * 16
    step = max(1, -(-len(pairs) // n_jobs))
    jobs = [(pairs[i : i + step], cfg) for i in range(0, len(pairs), step)]
    batches = map_in_processes(_read_files, jobs, workers)

    doc_rows: list[dict] = []
    doc_ids: list[str] = []
    n_paras: list[int] = []
    kept: list[np.ndarray] = []  # positions of the kept documents' paragraphs among all read
    quarantine: list[dict] = []
    seen_files: dict[str, str] = {}
    seen_ids: set[str] = set()
    first_para = 0
    for read, read_n_paras in ((r, n) for b in batches for r, n in zip(b.reads, b.n_paras)):
        rel = read.rel
        file_first_para, first_para = first_para, first_para + sum(read_n_paras)

        def quarantine_row(reason: str, detail: str, sha: str | None = None) -> None:
            quarantine.append(dict(source_file=rel, source_sha256=sha, n_bytes=read.size, stage="ingest", reason=reason, detail=detail))

        if read.sha is not None and read.sha in seen_files:
            quarantine_row(reasons.DUPLICATE_FILE, f"same bytes as {seen_files[read.sha]}; its documents are ingested once", read.sha)
            continue
        if read.sha is not None:
            seen_files[read.sha] = rel
        for reason, detail, sha in read.quarantine:
            quarantine_row(reason, detail, sha)
        kept.append(np.arange(file_first_para, first_para))
        for ordinal, (row, _, digest) in enumerate(read.docs):
            doc_id = digest[:16]
            if doc_id in seen_ids:
                # same text under another file: keep both rows, dedup flags the later
                doc_id = hashlib.sha256(f"{digest}\0{rel}#{ordinal}".encode()).hexdigest()[:16]
            seen_ids.add(doc_id)
            doc_ids.append(doc_id)
            n_paras.append(read_n_paras[ordinal])
            doc_rows.append(dict(row, doc_id=doc_id, source_ordinal=ordinal))
    documents = pd.DataFrame(doc_rows, columns=column_names("documents"))
    paragraphs = _paragraph_table(batches, doc_ids, n_paras, np.concatenate(kept + [np.zeros(0, dtype=np.int64)]))
    quarantined = pd.DataFrame(quarantine, columns=column_names("quarantine"))
    stats = dict(
        files=len(pairs),
        documents=len(documents),
        paragraphs=len(paragraphs),
        quarantined=len(quarantined),
    )
    return IngestResult(documents=documents, paragraphs=paragraphs, quarantine=quarantined, stats=stats)
