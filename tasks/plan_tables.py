"""Plan-table extraction: rebuilds flattened indicator tables into rows.

Takes documents and kept paragraphs, and reads only ``table`` paragraphs
(title on the first line, then one source cell per line). Gives one
``plan_indicators`` row per table row: category, sequence number, indicator,
unit, the baseline / target / actual / growth-or-cumulative values and the raw
cells for audit.

Flattening loses the grid: empty cells vanish, merged cells (类别, 空气质量)
appear once, and a cell may be split over two lines. So cells are not read by
position. Each cell is typed (sequence number, category, name, unit, number,
text value, attribute 预期性/约束性) and a row runs from its sequence number to
its attribute cell. The value cells of a row are then fitted to the value
columns named by the header: every order-preserving placement that respects
what a column can hold is enumerated (a '[x]' five-year cumulative value goes
to the 年均/累计 column, '预计完成' describes an outcome and so only goes to an
actual/baseline column, a qualified '7以上' is never a baseline, ...). A cell is
placed only when all such placements agree; otherwise it stays unplaced and
the row names the candidate columns in ``ambiguous_columns``. This is the
constraint-propagation reading of table cells that wrapper-induction work on
web tables uses instead of column positions (cf. Cafarella et al.,
"WebTables", VLDB 2008, on recovering relational rows from HTML tables).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from tasks import reasons
from tasks.schemas import SCHEMAS, column_names
from tasks.text import kept_paragraphs

ATTRIBUTES = ("预期性", "约束性")

# header cells that are not value columns
_KEY_HEADERS = {
    "类别": "category",
    "序号": "seq",
    "指标": "indicator",
    "指标名称": "indicator",
    "单位": "unit",
    "属性": "attribute",
    "指标属性": "attribute",
    "备注": "remark",
}
_YEAR_TARGET_RE = re.compile(r"^(\d{4})\s*年?\s*(?:目标|规划目标|规划值|目标值)$")
_YEAR_ACTUAL_RE = re.compile(r"^(\d{4})\s*年?\s*(?:实际|完成|实际完成|完成值|实现值|预计)?$")
_GROWTH_HEADER_RE = re.compile(r"年均|累计|增速")
_TITLE_SEQ_RE = re.compile(r"^(?:附?表\s*)?(\d{1,2})(?!\d)")

# units: an optional magnitude, a base unit, optionally '/' another unit and a
# parenthesised alternative unit (万平方米(套))
_BASE_UNITS = (
    "平方公里|平方千米|平方米|立方米|千瓦时|千瓦|标准煤|吨标准煤|公里|千米|米|公顷|亩|吨|"
    "元|美元|人|户|个|件|家|张|套|年|岁|所|座|台|辆|次|项|起|床|篇|小时|天|分钟|"
    "ug/m3|μg/m3|微克/立方米|毫克/升|毫克/立方米|km|kg|kwh"
)
_UNIT_CORE = rf"(?:[十百千万亿]*(?:{_BASE_UNITS}))"
_UNIT_RE = re.compile(
    rf"^(?:%|‰|个百分点|{_UNIT_CORE}(?:/{_UNIT_CORE})?(?:\({_UNIT_CORE}\))?)$",
    re.IGNORECASE,
)
# a unit written inside the name: '(亿元)' at the end, or '(%' whose closing
# bracket the source lost
_NAME_UNIT_RE = re.compile(r"^(?P<name>.+?)\s*[(（](?P<unit>[^()（）]+)[)）]?\s*$")

_NUM_RE = re.compile(
    r"^(?P<lb>[\[［【])?\s*(?P<num>[-+]?\d+(?:\.\d+)?)\s*(?P<rb>[\]］】])?\s*"
    r"(?P<qual>及以上|及以下|以上|以下|左右|以内|以外)?\s*"
    r"(?:[(（](?P<note>[^()（）]*)[)）])?$"
)
_INT_RE = re.compile(r"^\d{1,3}$")
# text value cells: outcome descriptions (fit actual/baseline columns) and
# directives (fit target/growth columns)
_STATUS_RE = re.compile(r"^(?:预计(?:可以|能够)?完成|基本完成|已完成|完成|未完成|无法统计|暂无数据|—+|-+|/)$")
_DIRECTIVE_RE = re.compile(
    r"^(?:完成(?:上级|省|市|区|县)?(?:下达)?的?(?:指标|任务|目标)|"
    r"(?:高于|不低于|低于|快于|略高于|与)(?:经济|GDP|地区生产总值)(?:增长)?(?:同步)?(?:增长)?|"
    r"(?:持续|稳步|逐步)(?:提高|提升|下降|降低|增长)|控制在.+|.*以内)$"
)
# names that stand for an indicator on their own; a name without such an
# ending under a sub-group (二氧化硫 after 主要污染物排放削减率) is a sub-row
_INDICATOR_ENDINGS = (
    "率", "量", "数", "比重", "比例", "值", "度", "额", "收入", "面积", "年限", "寿命",
    "增长", "降低", "下降", "提高", "规模", "投资", "能耗", "指数", "密度", "里程",
)
_GROWTH_NAME_RE = re.compile(r"(?:增长|降低|下降|提高|减少|增速|增幅)$")


class PlanTableError(ValueError):
    """A table paragraph is not a flattened indicator table."""


@dataclass(frozen=True)
class PlanTablesConfig:
    """Settings of plan-table extraction.

    Attributes:
        attributes: Attribute cells that close a row (预期性/约束性).
        max_value_cells: Rows with more value cells than this are not fitted
            (the enumeration of placements grows combinatorially).
    """

    attributes: tuple[str, ...] = ATTRIBUTES
    max_value_cells: int = 8

    def __post_init__(self) -> None:
        if not self.attributes or any(not a for a in self.attributes):
            raise ValueError("attributes must be a non-empty tuple of non-empty strings")
        if self.max_value_cells < 1:
            raise ValueError("max_value_cells must be >= 1")


@dataclass(frozen=True)
class PlanTablesResult:
    """Output of plan-table extraction.

    Attributes:
        plan_indicators: One row per rebuilt table row (schema ``plan_indicators``).
        stats: Counts: tables_in, tables_parsed, dropped_not_indicator_table,
            rows, rows_with_ambiguous_values.
    """

    plan_indicators: pd.DataFrame
    stats: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Column:
    """One value column of a table header.

    Attributes:
        header: The header cell as written (2020年目标).
        role: baseline, target, actual, growth or other.
        year: Year the column refers to; None for growth/other.
    """

    header: str
    role: str
    year: int | None


@dataclass(frozen=True)
class Cell:
    """A typed value cell.

    Attributes:
        text: The cell as written.
        kind: number, qualified, cumulative, status, directive or malformed.
        value: The number in it, None for text cells.
        qualifier: 以上/以下/左右/... when written, else None.
        cumulative: True when the number is in [ ] (five-year cumulative).
    """

    text: str
    kind: str
    value: float | None
    qualifier: str | None
    cumulative: bool


@dataclass
class _Row:
    seq: int | None
    category: str | None
    raw: list[str] = field(default_factory=list)
    pre_texts: list[str] = field(default_factory=list)
    strays: list[str] = field(default_factory=list)
    name: str | None = None
    unit: str | None = None
    values: list[Cell] = field(default_factory=list)
    attribute: str | None = None
    subgroup: str | None = None


# --- cell typing -------------------------------------------------------------


def is_unit(cell: str) -> bool:
    """Tells whether a cell is a unit of measure (亿元, %, 万元/人, ug/m3)."""
    return bool(_UNIT_RE.match(cell.strip()))


def split_name_unit(name: str) -> tuple[str, str | None]:
    """Splits a unit written at the end of an indicator name.

    Args:
        name: An indicator cell such as '地区生产总值(GDP)增长(亿元)' or
            '森林覆盖率(%' (closing bracket lost in the source).

    Returns:
        (name without the unit, unit) or (name, None) when the last bracket
        does not hold a unit (执业(助理)医师数(常住人口) keeps its brackets).
    """
    text = name.strip()
    m = re.search(r"[(（]([^()（）]*)[)）]?$", text)
    if m and is_unit(m.group(1)):
        # a lost closing bracket only counts at the very end ('(%')
        return text[: m.start()].rstrip(), m.group(1).strip()
    return text, None


def parse_value_cell(cell: str) -> Cell:
    """Types one value cell.

    Args:
        cell: A cell after the indicator name, e.g. '669', '[8]以上',
            '13.2(1100套)', '预计完成' or '完成上级下达指标'.

    Returns:
        The typed cell; unreadable cells ('202100套)') are kind malformed.
    """
    text = cell.strip()
    m = _NUM_RE.match(text)
    if m and (bool(m.group("lb")) == bool(m.group("rb"))):
        cumulative = bool(m.group("lb"))
        qual = m.group("qual")
        kind = "cumulative" if cumulative else ("qualified" if qual else "number")
        return Cell(text, kind, float(m.group("num")), qual, cumulative)
    if _STATUS_RE.match(text):
        return Cell(text, "status", None, None, False)
    if re.search(r"\d", text):
        return Cell(text, "malformed", None, None, False)
    return Cell(text, "directive", None, None, False)


def _is_value_text(cell: str) -> bool:
    return bool(_STATUS_RE.match(cell) or _DIRECTIVE_RE.match(cell))


def _is_value_cell(cell: str) -> bool:
    kind = parse_value_cell(cell).kind
    if kind == "malformed":
        # '202100套)' is a damaged number; '每千人口拥有3岁以下…' is a name
        return bool(re.match(r"^[\[［【]?[-+]?\d", cell.strip()))
    return kind in ("number", "qualified", "cumulative") or _is_value_text(cell)


def _is_number_like(cell: str) -> bool:
    return parse_value_cell(cell).kind in ("number", "qualified", "cumulative")


# --- header ------------------------------------------------------------------


def _header_role(cell: str) -> str | None:
    if cell in _KEY_HEADERS:
        return _KEY_HEADERS[cell]
    if _YEAR_TARGET_RE.match(cell) or _YEAR_ACTUAL_RE.match(cell) or _GROWTH_HEADER_RE.search(cell):
        return "value"
    return None


def value_columns(headers: list[str]) -> list[Column]:
    """Turns header cells into the table's value columns.

    A bare year next to a target for the same year is that year's actual
    (十三五 table: 2020年目标 | 2020); a bare year before a later target is the
    baseline (十四五 table: 2020 | 2025年目标).

    Args:
        headers: The header cells in order.

    Returns:
        The value columns in order.
    """
    target_years = {int(m.group(1)) for h in headers if (m := _YEAR_TARGET_RE.match(h))}
    cols: list[Column] = []
    for h in headers:
        if _header_role(h) != "value":
            continue
        if m := _YEAR_TARGET_RE.match(h):
            cols.append(Column(h, "target", int(m.group(1))))
        elif _GROWTH_HEADER_RE.search(h):
            cols.append(Column(h, "growth", None))
        elif m := _YEAR_ACTUAL_RE.match(h):
            year = int(m.group(1))
            later_target = any(t > year for t in target_years)
            if year in target_years or not later_target or re.search(r"实际|完成", h):
                cols.append(Column(h, "actual", year))
            else:
                cols.append(Column(h, "baseline", year))
        else:
            cols.append(Column(h, "other", None))
    return cols


# --- fitting values to columns -------------------------------------------------


def _fits(cell: Cell, col: Column, row_is_growth: bool, has_growth_col: bool) -> bool:
    kind = cell.kind
    if col.role == "other" or kind == "malformed":
        return True
    if col.role in ("baseline", "actual"):
        # an outcome is a plain statistic: never qualified, never a directive
        return kind == "number" or kind == "status" or (kind == "cumulative" and not has_growth_col)
    if col.role == "target":
        return kind in ("number", "qualified", "directive") or (
            kind == "cumulative" and not has_growth_col
        )
    # growth column: [x] cumulative values and directives; a bare number only
    # when the indicator itself is a rate of change in %, since a level
    # indicator's (亿元) growth column would not share its unit
    if kind in ("cumulative", "directive"):
        return True
    return kind in ("number", "qualified") and row_is_growth


def fit_values(
    cells: list[Cell], cols: list[Column], row_is_growth: bool
) -> tuple[dict[int, int], dict[int, list[int]]]:
    """Places value cells into value columns without guessing.

    Args:
        cells: The row's value cells in source order.
        cols: The table's value columns in order.
        row_is_growth: Whether the indicator is a rate of change in % (its
            growth column may then hold a bare number).

    Returns:
        (placed, unplaced): placed maps cell index -> column index for cells
        every consistent placement agrees on; unplaced maps the other cell
        indices to their candidate column indices.
    """
    has_growth = any(c.role == "growth" for c in cols)
    if len(cells) > len(cols):
        return {}, {i: list(range(len(cols))) for i in range(len(cells))}
    options: dict[int, set[int]] = {i: set() for i in range(len(cells))}
    n_valid = 0
    for combo in itertools.combinations(range(len(cols)), len(cells)):
        if all(_fits(c, cols[j], row_is_growth, has_growth) for c, j in zip(cells, combo)):
            n_valid += 1
            for i, j in enumerate(combo):
                options[i].add(j)
    if n_valid == 0:
        return {}, {i: list(range(len(cols))) for i in range(len(cells))}
    placed = {i: next(iter(js)) for i, js in options.items() if len(js) == 1}
    unplaced = {i: sorted(js) for i, js in options.items() if len(js) > 1}
    return placed, unplaced


# --- reading the cell stream ---------------------------------------------------


def _looks_standalone(name: str) -> bool:
    return name.endswith(_INDICATOR_ENDINGS)


def read_table_cells(text: str) -> tuple[str, list[str], list[str]]:
    """Splits a table paragraph into title, header cells and body cells.

    Args:
        text: The table paragraph (title line, then one cell per line).

    Returns:
        (title, header cells, body cells); body cells keep their raw text.

    Raises:
        PlanTableError: When no header with 序号 and 指标 is found.
    """
    lines = text.split("\n")
    title = lines[0].strip()
    cells = [ln for ln in lines[1:]]
    headers: list[str] = []
    i = 0
    while i < len(cells):
        c = cells[i].strip()
        if not c:
            i += 1
            continue
        if _header_role(c) is None:
            break
        headers.append(c)
        i += 1
    roles = {_header_role(h) for h in headers}
    if "seq" not in roles or "indicator" not in roles:
        raise PlanTableError(f"no indicator-table header in table {title!r}")
    return title, headers, cells[i:]


@dataclass
class _RowReader:
    """The state of one pass of _parse_rows over a table's body cells."""

    rows: list[_Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # text cells after a row's end: a category or a seq-less sub-row
    pending_raw: list[str] = field(default_factory=list)
    category: str | None = None
    cur: _Row | None = None
    prev_seq: int = 0


def _start_row(state: _RowReader, seq: int | None, pre: list[str], raw: list[str]) -> _Row:
    """Opens a row under the current category and adds it to state.rows (the caller sets state.cur)."""
    row = _Row(seq=seq, category=state.category, raw=list(raw), pre_texts=list(pre))
    state.rows.append(row)
    return row


def _close_name(row: _Row) -> None:
    """Takes the row's name (and a merged group cell split over lines) from its text cells."""
    if row.name is not None:
        return
    if row.pre_texts:
        row.name = row.pre_texts[-1]
        if len(row.pre_texts) > 1:
            # merged group cell split over lines: 空气 / 质量 -> 空气质量
            row.subgroup = "".join(row.pre_texts[:-1])
    else:
        row.name = ""


def _read_between_rows(
    state: _RowReader, raw: str, c: str, has_unit_col: bool, attributes: tuple[str, ...]
) -> bool:
    """Reads a cell met outside a row: a sequence number, a category or sub-row text, a stray.

    Returns:
        True when the cell opened a seq-less sub-row and still goes on to that
        row (state.cur); False when the cell has been dealt with.
    """
    if not c:
        state.pending_raw.append(raw)
        return False
    if _INT_RE.match(c) and int(c) == state.prev_seq + 1:
        if state.pending:
            state.category = "".join(state.pending)
        state.cur = _start_row(state, int(c), [], [raw])
        state.prev_seq = int(c)
        state.pending, state.pending_raw = [], []
        return False
    if c in attributes:
        state.notes.append(f"attribute {c!r} outside a row")
        return False
    if state.pending and (_is_value_cell(c) or (has_unit_col and is_unit(c))):
        # values right after text cells with no sequence number: a
        # sub-row sharing the previous number
        state.cur = _start_row(state, state.prev_seq or None, state.pending, state.pending_raw)
        state.pending, state.pending_raw = [], []
        return True
    if not state.pending and split_name_unit(c)[1] is not None and state.rows:
        # a name carrying its unit can only be an indicator, not a category
        state.cur = _start_row(state, state.prev_seq or None, [c], [raw])
        return False
    state.pending.append(c)
    state.pending_raw.append(raw)
    return False


def _add_cell_to_row(row: _Row, raw: str, c: str, has_unit_col: bool, attributes: tuple[str, ...]) -> None:
    """Adds a cell to an open row: its attribute, a name part, its unit, a value or a stray."""
    row.raw.append(raw)
    if not c:
        return
    if c in attributes:
        _close_name(row)
        row.attribute = c
        return
    if row.name is None:
        if row.pre_texts and split_name_unit(row.pre_texts[-1])[1] is not None:
            _close_name(row)
        elif (has_unit_col and is_unit(c)) or _is_value_cell(c):
            if not row.pre_texts:
                row.strays.append(c)  # a number before any name: unplaceable
                return
            _close_name(row)
        else:
            row.pre_texts.append(c)
            return
    if has_unit_col and row.unit is None and not row.values and is_unit(c):
        row.unit = c
    else:
        row.values.append(parse_value_cell(c))


def _parse_rows(body: list[str], has_unit_col: bool, attributes: tuple[str, ...]) -> tuple[list[_Row], list[str]]:
    """Groups a table's body cells into rows; gives the rows and table-level notes."""
    state = _RowReader()
    for raw in body:
        c = raw.strip()
        in_row = state.cur is not None and state.cur.attribute is None
        if not in_row and not _read_between_rows(state, raw, c, has_unit_col, attributes):
            continue
        assert state.cur is not None
        _add_cell_to_row(state.cur, raw, c, has_unit_col, attributes)
    if state.pending:
        state.notes.append(f"trailing cells {state.pending!r}")
    if state.cur is not None and state.cur.attribute is None:
        _close_name(state.cur)
    return state.rows, state.notes


def _place_values(rec: dict, row: _Row, cols: list[Column], is_growth: bool, cfg: PlanTablesConfig) -> list[str]:
    """Fits the row's value cells to the columns and writes them into rec; gives the notes."""
    notes: list[str] = []
    if len(row.values) > cfg.max_value_cells:
        placed, unplaced = {}, {i: list(range(len(cols))) for i in range(len(row.values))}
    else:
        placed, unplaced = fit_values(row.values, cols, is_growth)
    for i, j in sorted(placed.items()):
        cell, col = row.values[i], cols[j]
        prefix = {"baseline": "baseline", "target": "target", "actual": "actual"}.get(col.role)
        if prefix:
            rec[f"{prefix}_year"] = col.year
            rec[f"{prefix}_value"] = cell.value
            rec[f"{prefix}_text"] = cell.text
        elif col.role == "growth":
            rec["growth_or_cumulative"] = cell.text
            rec["growth_or_cumulative_value"] = cell.value
        else:
            notes.append(f"cell {cell.text!r} in column {col.header!r}")
    notes.extend(f"cell {c.text!r} is not a readable number" for c in row.values if c.kind == "malformed")
    placed_cells = [row.values[i] for i in sorted(placed)]
    rec["is_cumulative"] = any(c.cumulative for c in placed_cells)
    quals = [c.qualifier for c in placed_cells + [row.values[i] for i in sorted(unplaced)] if c.qualifier]
    rec["qualifier"] = quals[0] if quals else None
    if unplaced:
        amb = sorted({j for js in unplaced.values() for j in js})
        rec["ambiguous_columns"] = "|".join(cols[j].header for j in amb)
        for i, js in sorted(unplaced.items()):
            notes.append(
                f"cell {row.values[i].text!r} could be in " + " or ".join(cols[j].header for j in js)
            )
    return notes


def _build_record(
    row: _Row,
    cols: list[Column],
    has_unit_col: bool,
    prev_subgroup: str | None,
    cfg: PlanTablesConfig,
    table_notes: list[str],
) -> dict:
    """One plan_indicators record for a parsed row, without the table's own columns.

    Args:
        row: The parsed row.
        cols: The table's value columns.
        has_unit_col: Whether the header has a 单位 column.
        prev_subgroup: The subgroup of the row before, inherited by a sub-row.
        cfg: Settings.
        table_notes: Table-level notes to add to this row's notes (the last row's).
    """
    name, unit = row.name or "", row.unit
    if not has_unit_col or unit is None:
        name, inner_unit = split_name_unit(name)
        unit = unit or inner_unit
    subgroup = row.subgroup
    if subgroup is None and prev_subgroup and row.pre_texts and not _looks_standalone(name):
        subgroup = prev_subgroup  # 二氧化硫 under 主要污染物排放削减率
    rec = {c: None for c in column_names("plan_indicators")}
    rec.update(
        category=row.category, subgroup=subgroup, seq=row.seq,
        indicator=name, unit=unit, attribute=row.attribute, is_cumulative=False,
        raw_cells=[r for r in row.raw],
    )
    notes = [f"unplaced cell {s!r} before the indicator name" for s in row.strays]
    is_growth = unit == "%" and bool(_GROWTH_NAME_RE.search(name))
    notes.extend(_place_values(rec, row, cols, is_growth, cfg))
    # table 1 has no baseline, table 2 no actual: the year still says what
    # each column meant when the row simply left it empty
    for col in cols:
        if col.role in ("baseline", "target", "actual") and rec[f"{col.role}_year"] is None:
            rec[f"{col.role}_year"] = col.year
    notes.extend(table_notes)
    rec["notes"] = "; ".join(notes) if notes else None
    return rec


def rebuild_table(doc_id: str, para_id: int, text: str, cfg: PlanTablesConfig | None = None) -> pd.DataFrame:
    """Rebuilds one flattened table paragraph into plan_indicators rows.

    Args:
        doc_id: Document of the paragraph.
        para_id: The paragraph's id.
        text: The table paragraph's text.
        cfg: Settings; defaults when None.

    Returns:
        The rows, with the columns of ``plan_indicators``.

    Raises:
        PlanTableError: When the paragraph is not an indicator table.
    """
    cfg = cfg or PlanTablesConfig()
    title, headers, body = read_table_cells(text)
    m = _TITLE_SEQ_RE.match(title)
    table_seq = int(m.group(1)) if m else None
    cols = value_columns(headers)
    has_unit_col = "单位" in headers
    rows, table_notes = _parse_rows(body, has_unit_col, cfg.attributes)
    out = []
    prev_subgroup: str | None = None
    for n, row in enumerate(rows, start=1):
        rec = _build_record(row, cols, has_unit_col, prev_subgroup, cfg, table_notes if n == len(rows) else [])
        prev_subgroup = rec["subgroup"]
        rec.update(doc_id=doc_id, para_id=int(para_id), table_title=title, table_seq=table_seq, row_no=n)
        out.append(rec)
    return conform(pd.DataFrame(out, columns=column_names("plan_indicators")), "plan_indicators")


def conform(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Gives df the columns and pandas dtypes of a registered schema.

    Integers become nullable Int32/Int64, strings object with None (not NaN)
    for missing values, so that a writer passing the arrow schema never meets
    a float NaN in a string column.

    Args:
        df: Rows with at least the schema's columns.
        table: The schema name in tasks/schemas.py.

    Returns:
        A new DataFrame with exactly the schema's columns, in order.
    """
    out = pd.DataFrame(index=df.index)
    for f in SCHEMAS[table]:
        col = df[f.name] if f.name in df.columns else pd.Series([None] * len(df), index=df.index)
        if pa.types.is_integer(f.type):
            out[f.name] = pd.array(col.tolist(), dtype="Int64" if f.type == pa.int64() else "Int32")
        elif pa.types.is_floating(f.type):
            out[f.name] = pd.to_numeric(col, errors="coerce").astype("float64")
        elif pa.types.is_boolean(f.type):
            out[f.name] = col.fillna(False).astype(bool)
        else:
            out[f.name] = col.astype(object).where(col.notna(), None) if not pa.types.is_list(f.type) else col
    return out.reset_index(drop=True)


def rebuild_plan_tables(
    documents: pd.DataFrame, paragraphs: pd.DataFrame, cfg: PlanTablesConfig | None = None
) -> PlanTablesResult:
    """Rebuilds every indicator table among the kept table paragraphs.

    Args:
        documents: The documents table (duplicate documents are skipped).
        paragraphs: Paragraphs with doc_id, para_id, kind, text (and
            is_duplicate when dedup ran).
        cfg: Settings; defaults when None.

    Returns:
        The plan_indicators rows, in paragraph then row order, with stats.
    """
    cfg = cfg or PlanTablesConfig()
    paras = kept_paragraphs(paragraphs, documents)
    tables = paras[paras["kind"] == "table"].sort_values(["doc_id", "para_id"], kind="stable")
    frames = []
    stats = {"tables_in": len(tables), "tables_parsed": 0, reasons.DROPPED_NOT_INDICATOR_TABLE: 0}
    for rec in tables.itertuples(index=False):
        try:
            frame = rebuild_table(rec.doc_id, int(rec.para_id), rec.text, cfg)
        except PlanTableError:
            stats[reasons.DROPPED_NOT_INDICATOR_TABLE] += 1
            continue
        stats["tables_parsed"] += 1
        frames.append(frame)
    cols = column_names("plan_indicators")
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    out = conform(out, "plan_indicators")
    stats["rows"] = len(out)
    stats["rows_with_ambiguous_values"] = int(out["ambiguous_columns"].notna().sum())
    return PlanTablesResult(plan_indicators=out, stats=stats)
