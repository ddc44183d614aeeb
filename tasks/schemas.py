"""Every Parquet dataset's schema, in one place.

The Parquet files under ``<out>/parquet/<table>/`` are a public contract for
downstream teams: names and types here change only with a note in
``docs/schemas.md`` (generated from this module by ``govreports schema-doc``).
Each field carries a description in its metadata; a test checks that none is
missing. Writers always pass the schema (never infer it from the data).

Each dataset also names the producer of every column (``produced_by``): the
Python function, as ``module.function`` (importable), or the dbt model, as its
file under ``warehouse/models/``. A column with two producers lists both and
explains the rule that divides them (``rules``); a test checks that every
producer resolves. They live beside the schema, not in the Arrow metadata, so
the Parquet files stay as they were.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMAS: dict[str, pa.Schema] = {}
TABLE_DOCS: dict[str, str] = {}
# dataset -> column -> its producers, in the order given
PRODUCERS: dict[str, dict[str, tuple[str, ...]]] = {}
# dataset -> column -> how its two producers divide the work (columns with more than one producer)
PRODUCER_RULES: dict[str, dict[str, str]] = {}


def _table(name: str, doc: str, fields: list[tuple[str, pa.DataType, str]], produced_by: dict[str, str],
           rules: dict[str, str] | None = None) -> pa.Schema:
    """Registers one dataset's schema and the producer of each of its columns.

    Args:
        name: The dataset name, used as the folder under ``parquet/``.
        doc: One sentence on what a row is (the grain).
        fields: (column, arrow type, description) triples in column order.
        produced_by: Producer -> the columns it produces, space-separated; ``*``
            stands for every column no other producer claims.
        rules: Column -> the rule dividing its producers, for every column with more than one.
    """
    if name in SCHEMAS:
        raise ValueError(f"schema {name!r} registered twice")
    schema = pa.schema(
        [pa.field(col, typ, metadata={"description": desc}) for col, typ, desc in fields]
    )
    SCHEMAS[name] = schema
    TABLE_DOCS[name] = doc
    PRODUCERS[name] = _producers(name, schema.names, produced_by)
    rules = rules or {}
    shared = sorted(col for col, by in PRODUCERS[name].items() if len(by) > 1)
    if sorted(rules) != shared:
        raise ValueError(f"{name}: rules must explain exactly the columns with two producers, {shared}")
    PRODUCER_RULES[name] = rules
    return schema


def _producers(name: str, columns: list[str], produced_by: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Column -> its producers, from producer -> columns (``*``: every column not named)."""
    named: dict[str, list[str]] = {col: [] for col in columns}
    default = [p for p, cols in produced_by.items() if cols.strip() == "*"]
    for producer, cols in produced_by.items():
        for col in cols.split() if cols.strip() != "*" else ():
            if col not in named:
                raise ValueError(f"{name}.produced_by: {producer} names {col!r}, not a column")
            named[col].append(producer)
    if len(default) > 1:
        raise ValueError(f"{name}.produced_by: more than one producer of '*'")
    missing = [col for col, by in named.items() if not by and not default]
    if missing:
        raise ValueError(f"{name}.produced_by: no producer for {missing}")
    return {col: tuple(by or default) for col, by in named.items()}


def producers(name: str, column: str) -> tuple[str, ...]:
    """The producers of one column: ``module.function`` or ``warehouse/models/.../<model>.sql``."""
    return PRODUCERS[name][column]


def column_names(name: str) -> list[str]:
    """Returns the column names of a registered dataset, in order."""
    return SCHEMAS[name].names


# --- ingest -----------------------------------------------------------------

DOCUMENTS = _table(
    "documents",
    "One row per document found in the input files (a listing page gives several).",
    [
        ("doc_id", pa.string(), "Stable id: first 16 hex digits of sha256 over the document's title and body text."),
        ("source_file", pa.string(), "Path of the input file, relative to the input folder."),
        ("source_sha256", pa.string(), "sha256 of the input file's raw bytes."),
        ("source_ordinal", pa.int32(), "Position of the document inside its source file, from 0."),
        ("source_layout", pa.string(), "Layout recognised from the content: newspaper, forum, portal, listing or plain."),
        ("encoding", pa.string(), "Text encoding the file was decoded with (utf-8, utf-8-sig, gb18030, utf-16)."),
        ("title", pa.string(), "Document title, without site chrome or category prefixes."),
        ("tag", pa.string(), "Category tag from the source, e.g. 投资瓯海区 from a 【投资瓯海区】 title prefix; null if none."),
        ("doc_type", pa.string(), "One of gov_work_report, party_congress, five_year_plan, news, other."),
        ("region", pa.string(), "Region that issued the document (title, issuing body, dateline or speaker's post; else the most-mentioned place), written as a path (台州市路桥区, 浙江省; 全国 for the State Council); null if unknown."),
        ("region_code", pa.string(), "6-digit administrative division code of region from tasks/resources/divisions.tsv (331004; 100000 for 全国); null when region is null or no division (长三角地区)."),
        ("region_reason", pa.string(), "How region was found (title, issuer, dateline, speaker, mentions) or why it is null (ambiguous:<name>(<codes>), not_found)."),
        ("year", pa.int32(), "Year of the meeting, report or publication; null if unknown."),
        ("event_date", pa.date32(), "Date of the meeting or event the text states (e.g. the day a report was given); null if none."),
        ("publish_date", pa.date32(), "Publication date given by the source page's metadata; null if none."),
        ("crawl_date", pa.date32(), "Date the listing page gives for the record (crawl or listing date); null if none."),
        ("publisher", pa.string(), "Publishing body from the source's metadata (发布机构/信息来源); null if none."),
        ("speaker", pa.string(), "Person who gave the report or speech, when stated (牟傲野); null otherwise."),
        ("speaker_title", pa.string(), "Title of the speaker as stated (区长, 代市长); null otherwise."),
        ("n_chars", pa.int64(), "Characters of document text (all paragraphs, before dedup)."),
        ("n_paragraphs", pa.int32(), "Number of paragraphs after cleaning (kept and duplicate)."),
        ("is_duplicate", pa.bool_(), "True when the whole document repeats an earlier document (see duplicate_of)."),
        ("duplicate_of", pa.string(), "doc_id of the earlier document this one repeats; null if not a duplicate."),
    ],
    produced_by={
        "tasks.ingest.read_file": "*",
        "tasks.ingest.ingest_folder": "doc_id source_ordinal",
        "tasks.ingest.decode_bytes": "encoding",
        "tasks.ingest.detect_layout": "source_layout",
        "tasks.ingest.report_title": "title",
        "tasks.ingest.classify_doc_type": "doc_type",
        "tasks.ingest.document_region": "region region_code region_reason",
        "tasks.ingest.infer_event": "year event_date",
        "tasks.ingest.infer_speaker": "speaker speaker_title",
        "tasks.dedup.dedup_corpus": "n_paragraphs is_duplicate duplicate_of",
    },
)

PARAGRAPHS = _table(
    "paragraphs",
    "One row per cleaned paragraph of a document, kept or marked duplicate (nothing is deleted).",
    [
        ("doc_id", pa.string(), "Document the paragraph belongs to (documents.doc_id)."),
        ("para_id", pa.int32(), "Order of the paragraph in its document, from 0; unique with doc_id."),
        ("kind", pa.string(), "heading, body, caption, byline or table."),
        ("section", pa.string(), "Heading path the paragraph sits under, joined with ' > '; empty at top level."),
        ("text", pa.string(), "Cleaned paragraph text (NFC, no control/zero-width characters, half-width ASCII)."),
        ("n_chars", pa.int32(), "Length of text in characters."),
        ("is_duplicate", pa.bool_(), "True when the paragraph repeats text kept elsewhere (lineage in paragraph_duplicates)."),
    ],
    produced_by={
        "tasks.clean.clean_paragraphs": "*",
        "tasks.ingest.classify_lines": "kind",
        "tasks.ingest.read_file": "section",
        "tasks.dedup.dedup_corpus": "n_chars is_duplicate",
    },
)

QUARANTINE = _table(
    "quarantine",
    "One row per input file (or part of one) that could not be turned into documents, with the reason.",
    [
        ("source_file", pa.string(), "Path of the input file, relative to the input folder."),
        ("source_sha256", pa.string(), "sha256 of the file's raw bytes (null when it could not be read)."),
        ("n_bytes", pa.int64(), "Size of the file in bytes."),
        ("stage", pa.string(), "Pipeline stage that quarantined it (ingest, ...)."),
        ("reason", pa.string(), "Machine-readable reason, a snake_case constant from tasks/reasons.py."),
        ("detail", pa.string(), "Human-readable explanation of what was wrong."),
    ],
    produced_by={"tasks.ingest.ingest_folder": "*"},
)

# --- clean ------------------------------------------------------------------
# (clean stage tables go here)

PARAGRAPH_REPAIRS = _table(
    "paragraph_repairs",
    "One row per repair of the clean stage: a joined (cut) paragraph or a paragraph dropped as empty.",
    [
        ("doc_id", pa.string(), "Document of the paragraph (documents.doc_id)."),
        ("para_id", pa.int32(), "Cleaned paragraphs.para_id the repair produced; null for a dropped empty paragraph."),
        ("repair", pa.string(), "join (cut sentence re-joined), drop_empty (nothing left after normalisation) or drop_no_text (a short non-table paragraph without a letter: page counter, separator)."),
        ("source_para_ids", pa.list_(pa.int32()), "Ingest para_ids merged into this paragraph, in order (one for a drop)."),
        ("join_offsets", pa.list_(pa.int32()), "Character offset in the cleaned text where each source paragraph starts."),
        ("detail", pa.string(), "Human-readable context: the characters on both sides of each join."),
    ],
    produced_by={"tasks.clean.clean_paragraphs": "*"},
)

# --- dedup ------------------------------------------------------------------
# (dedup stage tables go here)

PARAGRAPH_DUPLICATES = _table(
    "paragraph_duplicates",
    "One row per (duplicate paragraph, kept source paragraph); a splice has one row per source.",
    [
        ("doc_id", pa.string(), "Document of the duplicate paragraph."),
        ("para_id", pa.int32(), "para_id of the duplicate paragraph (paragraphs.is_duplicate is true)."),
        ("kept_doc_id", pa.string(), "Document of the kept paragraph that holds the text."),
        ("kept_para_id", pa.int32(), "para_id of the kept paragraph that holds the text."),
        ("method", pa.string(), "exact (same normalised key), containment (inside one kept paragraph) or splice (pieces of two)."),
        ("score", pa.float64(), "Share of the duplicate's character n-grams found in its source(s); 1.0 for exact."),
    ],
    produced_by={"tasks.dedup.dedup_corpus": "*"},
)

# --- segment ----------------------------------------------------------------
# (segment stage tables go here)

SENTENCES = _table(
    "sentences",
    "One row per sentence of a segmented (kept body/heading/caption) paragraph.",
    [
        ("doc_id", pa.string(), "Document the sentence belongs to (documents.doc_id)."),
        ("para_id", pa.int32(), "Paragraph the sentence belongs to (paragraphs.para_id)."),
        ("sent_id", pa.int32(), "Order of the sentence in its paragraph, from 0; unique with doc_id, para_id."),
        ("char_start", pa.int32(), "Offset of the sentence's first character in the paragraph text."),
        ("char_end", pa.int32(), "Offset just past the sentence's last character in the paragraph text."),
        ("text", pa.string(), "Sentence text: the paragraph text between char_start and char_end."),
    ],
    produced_by={"tasks.segment.segment_jobs": "*"},
)

TOKENS = _table(
    "tokens",
    "One row per word (jieba token, whitespace dropped) of a segmented sentence.",
    [
        ("doc_id", pa.string(), "Document the token belongs to (documents.doc_id)."),
        ("para_id", pa.int32(), "Paragraph the token belongs to (paragraphs.para_id)."),
        ("sent_id", pa.int32(), "Sentence the token belongs to (sentences.sent_id)."),
        ("token_idx", pa.int32(), "Order of the token in its sentence, from 0; unique with doc_id, para_id, sent_id."),
        ("token", pa.string(), "The word as it appears in the text; numbers keep their unit or percent sign (716.66亿元, 8.3%)."),
        ("pos", pa.string(), "Part of speech, jieba/ICTCLAS tag set (n, ns, nt, nz, v, vn, m, t, eng, x for punctuation ...)."),
        ("char_start", pa.int32(), "Offset of the token's first character in the paragraph text."),
        ("char_end", pa.int32(), "Offset just past the token's last character in the paragraph text."),
    ],
    produced_by={"tasks.segment.segment_jobs": "*", "tasks.segment.Segmenter.tag": "pos"},
)

SEGMENT_LEXICON = _table(
    "segment_lexicon",
    "One row per word added to jieba's dictionary for a run (domain dictionary, harvested, extra), in load order.",
    [
        ("word", pa.string(), "The word."),
        ("freq", pa.int64(), "Frequency given in the dictionary file; -1 when jieba suggested one that keeps the word whole."),
        ("pos", pa.string(), "Part of speech assigned to the word."),
        ("source", pa.string(), "userdict (tasks/resources/userdict.txt), harvested (quoted phrase “…” of the input) or extra (SegmentConfig.extra_words)."),
    ],
    produced_by={"tasks.segment.build_lexicon": "*"},
)

TERM_STATS = _table(
    "term_stats",
    "One row per document and content term (noun, verb, name, idiom ...; stop words, numbers, punctuation and 1-character words excluded).",
    [
        ("doc_id", pa.string(), "Document (documents.doc_id)."),
        ("term", pa.string(), "The term (a token)."),
        ("pos", pa.string(), "Most frequent part of speech of the term in this document (alphabetically first on ties)."),
        ("count", pa.int32(), "Occurrences of the term in the document's segmented paragraphs."),
        ("tf", pa.float64(), "count divided by the number of content-term occurrences in the document."),
        ("idf", pa.float64(), "ln(N / (1 + df)) + 1, N = documents in this corpus, df = documents containing the term."),
        ("tfidf", pa.float64(), "tf * idf."),
    ],
    produced_by={"tasks.terms.chunk_terms": "*", "tasks.terms.term_stats_from_counts": "idf tfidf"},
)

KEYWORDS = _table(
    "keywords",
    "One row per document, method and rank: the document's top terms by tf-idf and by TextRank.",
    [
        ("doc_id", pa.string(), "Document (documents.doc_id)."),
        ("method", pa.string(), "tfidf (tf times jieba's background IDF times ln((N+1)/(df+0.5)) over the run's documents, so words every report uses score near zero) or textrank (jieba's TextRank graph over co-occurrence within 5 tokens)."),
        ("rank", pa.int32(), "1 for the best keyword of the document and method."),
        ("term", pa.string(), "The keyword."),
        ("score", pa.float64(), "Blended tf-idf (tf x background IDF x corpus spread; not term_stats.tfidf), or TextRank weight normalised to at most 1 per document."),
    ],
    produced_by={
        "tasks.terms.merge_keywords": "*",
        "tasks.terms.chunk_terms": "rank score",
        "tasks.terms.tfidf_keywords": "rank score",
    },
    rules={
        "rank": "Two producers, one per method: chunk_terms (per segmentation chunk) ranks by TextRank "
                "score, tfidf_keywords (once IDF is known) by the blended tf-idf (tasks.terms.keyword_idf); the row's method says which. "
                "merge_keywords puts both lists of a document together.",
        "score": "As rank: a TextRank score for method textrank, a tf-idf for method tfidf.",
    },
)

# --- extract ----------------------------------------------------------------

# (indicators from running text: tasks/indicators.py)
INDICATORS = _table(
    "indicators",
    "One row per (metric, value) a sentence of running text states, e.g. GDP level and GDP growth are two rows.",
    [
        ("indicator_id", pa.string(), "Stable id: first 16 hex digits of sha256 over doc_id, para_id, value offset, metric_key and measure."),
        ("doc_id", pa.string(), "Document stating the value (documents.doc_id)."),
        ("para_id", pa.int32(), "Paragraph holding the evidence sentence (paragraphs.para_id)."),
        ("sent_id", pa.int32(), "Index of the evidence sentence in its paragraph (tasks.sentences.sentence_spans), from 0."),
        ("region", pa.string(), "Place the value is about: the document's region, or its city when the sentence says 全市."),
        ("region_code", pa.string(), "6-digit division code of region: the document's region_code when region is the document's region, else the gazetteer's code for region; null if none."),
        ("metric", pa.string(), "Metric name as the text writes it (全区生产总值, R&D经费支出占比)."),
        ("metric_key", pa.string(), "Canonical metric key from tasks/resources/metric_keys.tsv (gdp, general_budget_revenue, ...)."),
        ("is_core", pa.bool_(), "True for the core economic metrics (core=1 in metric_keys.tsv)."),
        ("measure", pa.string(), "What the value measures: level, growth_pct, share_pct, per_capita, count, rank or other."),
        ("value", pa.float64(), "Number as written, without its unit's magnitude (716.66 for 716.66亿元; 1000 for 千亿元)."),
        ("unit", pa.string(), "Unit as written after the number (亿元, 万美元, %)."),
        ("value_base", pa.float64(), "Value converted to base_unit (716.66亿元 -> 7.1666e10)."),
        ("base_unit", pa.string(), "Base unit of value_base: 元, 美元, %, 人, 个, 亩, 平方米, ..."),
        ("year", pa.int32(), "Year the value is for (the last year of its period); null if unknown."),
        ("start_year", pa.int32(), "First year of the period the value covers (a five-year average growth: 2017 for 2017-2021)."),
        ("end_year", pa.int32(), "Last year of the period the value covers."),
        ("status", pa.string(), "actual (achieved), target (planned or aimed at) or forecast (预计, an estimate)."),
        ("qualifier", pa.string(), "Bound or hedge written with the value: 以上, 以下, 左右, 以内, 约, 近, 超过, 突破, 首次突破, ...; null if none."),
        ("value_text", pa.string(), "Number, unit and trailing qualifier exactly as written (716.66亿元, 6%以上)."),
        ("evidence", pa.string(), "The sentence stating the value, verbatim from the cleaned paragraph."),
        ("char_start", pa.int32(), "Offset of the evidence sentence in the cleaned paragraph text (text[char_start:char_end] == evidence)."),
        ("char_end", pa.int32(), "End offset (exclusive) of the evidence sentence in the cleaned paragraph text."),
        ("modifier", pa.string(), "How the value bounds the fact: point, about (左右, 约), at_least (以上, 突破, 迈上), at_most (以内, 以下), range (value to value_high) or not_set (the text says no numeric target is set; value is null)."),
        ("value_high", pa.float64(), "Upper end of a range as written (5.5 for 增长5%—5.5%), in the unit of value; null unless modifier is range."),
        ("period_kind", pa.string(), "year (a value of one year; a bare value of a five-year section keeps the section's span), plan_average (年均: average annual growth over start_year..end_year) or plan_cumulative (五年, 累计, 较'十三五', 比2020年: a total or growth over the whole span)."),
        ("is_comparable_basis", pa.bool_(), "True when the value is restated on a comparable basis (同口径, 可比口径), beside the value as reported."),
    ],
    produced_by={
        "tasks.indicators.extract_indicators": "*",
        "tasks.indicators._status_and_period": "status year start_year end_year period_kind",
        "warehouse/models/marts/metric_facts.sql": "status",
        "tasks.regions.with_region_codes": "region_code",
    },
    rules={
        "status": "Two producers with two rules. Running-text rows (this dataset) get it in Python, "
                  "_status_and_period: a tense marker before the value first (预计: forecast; 力争, 目标, 今年: "
                  "target), else a plan period named with the value or the value's year against the report's year "
                  "(earlier: actual; later: target; the report's own year: target in a work report or plan, "
                  "actual elsewhere), else the phase of the section. Plan-table rows get it in SQL, in the mart metric_facts "
                  "(metric_facts.sql): a value from the table's target column is target, from its baseline or "
                  "actual column actual; a table cell is never a forecast.",
    },
)

# (plan tables, policy phrases, officials, places: tasks/plan_tables.py, tasks/mentions.py)
PLAN_INDICATORS = _table(
    "plan_indicators",
    "One row per row of an indicator table of a plan, rebuilt from a flattened table paragraph.",
    [
        ("doc_id", pa.string(), "Document holding the table (documents.doc_id)."),
        ("para_id", pa.int32(), "The table paragraph (paragraphs.para_id)."),
        ("table_title", pa.string(), "Table title as written on the paragraph's first line."),
        ("table_seq", pa.int32(), "Table number from the title (1 for '1 路桥区…', 2 for '表2 …'); null if none."),
        ("row_no", pa.int32(), "Order of the row in its table, from 1 (sub-rows sharing a seq get their own row_no)."),
        ("category", pa.string(), "类别 cell the row sits under (经济发展, 资源环境, …); merged cells carried down."),
        ("subgroup", pa.string(), "Merged group cell between category and name (空气质量, 主要污染物排放削减率); null if none."),
        ("seq", pa.int32(), "序号 of the row; a sub-row without its own number repeats the previous one."),
        ("indicator", pa.string(), "Indicator name as written, without a unit written at its end."),
        ("unit", pa.string(), "Unit from the 单位 column or from the name's trailing '(亿元)' / '(%'; null if none."),
        ("baseline_year", pa.int32(), "Year of the baseline column (2020 in a 十四五 table); null if the table has none."),
        ("baseline_value", pa.float64(), "Number in the baseline cell; null if empty, text or unplaceable."),
        ("baseline_text", pa.string(), "Baseline cell as written (e.g. 预计完成); null if empty or unplaceable."),
        ("target_year", pa.int32(), "Year of the target column (2020年目标 -> 2020, 2025年目标 -> 2025)."),
        ("target_value", pa.float64(), "Number in the target cell (qualifier and brackets removed); null if none."),
        ("target_text", pa.string(), "Target cell as written (90以上, 完成上级下达指标); null if empty or unplaceable."),
        ("actual_year", pa.int32(), "Year of the actual column (十三五 table: the 2020 column next to 2020年目标); null if none."),
        ("actual_value", pa.float64(), "Number in the actual cell; null if empty, text or unplaceable."),
        ("actual_text", pa.string(), "Actual cell as written (预计完成, 无法统计); null if empty or unplaceable."),
        ("growth_or_cumulative", pa.string(), "年均/累计 cell as written ([8]以上); null if empty or unplaceable."),
        ("growth_or_cumulative_value", pa.float64(), "Number in the 年均/累计 cell; null if none."),
        ("is_cumulative", pa.bool_(), "True when a placed value is in [ ] (a five-year cumulative value)."),
        ("qualifier", pa.string(), "以上/以下/左右/以内 written with a value of the row; null if none."),
        ("attribute", pa.string(), "指标属性: 预期性 or 约束性; null if the row has none."),
        ("ambiguous_columns", pa.string(), "Value columns ('|'-joined headers) a cell could belong to when the row has fewer cells than columns and the cell was left unplaced; null if all placed."),
        ("raw_cells", pa.list_(pa.string()), "The row's cells exactly as in the paragraph, from its 序号 to its attribute, for audit."),
        ("notes", pa.string(), "Parser remarks: unplaced cells and their candidate columns, stray cells; null if none."),
    ],
    produced_by={"tasks.plan_tables.rebuild_table": "*"},
)

POLICY_PHRASES = _table(
    "policy_phrases",
    "One row per policy phrase (quoted slogan or numbered phrase) per document, with its count.",
    [
        ("doc_id", pa.string(), "Document the phrase occurs in (documents.doc_id)."),
        ("phrase", pa.string(), "The phrase as written, without its quotation marks (八八战略, 三大战略)."),
        ("phrase_type", pa.string(), "numbered when it is built on numerals (三大目标, 四纵四横一环一绕, 双倍增), else quoted."),
        ("count", pa.int32(), "Occurrences in the document's kept non-table paragraphs."),
        ("first_para_id", pa.int32(), "Paragraph of the first occurrence (paragraphs.para_id)."),
    ],
    produced_by={"tasks.mentions.policy_phrases": "*"},
)

OFFICIALS = _table(
    "officials",
    "One row per official named with a title in a document (name, title, region).",
    [
        ("doc_id", pa.string(), "Document naming the official (documents.doc_id)."),
        ("para_id", pa.int32(), "Paragraph of the first mention; null when only the document's speaker field names them."),
        ("name", pa.string(), "Personal name (牟傲野)."),
        ("title", pa.string(), "Title as written (区长, 代市长, 区委书记)."),
        ("region", pa.string(), "Full name of the place the title belongs to (台州市路桥区), from the gazetteer or the document's region."),
        ("evidence", pa.string(), "The text span 'place [人民政府] title name' the row was read from, or 'documents.speaker'."),
    ],
    produced_by={"tasks.mentions.officials": "*"},
)

PLACES = _table(
    "places",
    "One row per administrative place (gazetteer entry) mentioned in a document, with its count.",
    [
        ("doc_id", pa.string(), "Document mentioning the place (documents.doc_id)."),
        ("place", pa.string(), "Standard name of the place (路桥区, 新桥镇)."),
        ("full_name", pa.string(), "Path of the place as documents.region writes it (台州市路桥区)."),
        ("level", pa.string(), "province, city, district_county or town_street."),
        ("parent", pa.string(), "full_name of the enclosing place; null at the top."),
        ("count", pa.int32(), "Mentions (longest match, any surface form) in the document's kept non-table paragraphs."),
        ("first_para_id", pa.int32(), "Paragraph of the first mention (paragraphs.para_id)."),
    ],
    produced_by={"tasks.mentions.places": "*"},
)
# (extract stage tables go here)

# --- quality ----------------------------------------------------------------

# (plausibility flags on extracted values: tasks/quality.py)
QUALITY_FLAGS = _table(
    "quality_flags",
    "One row per (row of a dataset, plausibility rule) the row breaks: a value that is allowed but unlikely to be read right.",
    [
        ("dataset", pa.string(), "Dataset of the flagged row: indicators, plan_indicators or documents."),
        ("row_id", pa.string(), "Key of the flagged row in its dataset: indicators.indicator_id, documents.doc_id, or doc_id:para_id:row_no of plan_indicators."),
        ("doc_id", pa.string(), "Document the flagged row belongs to (documents.doc_id)."),
        ("flag", pa.string(), "Rule broken, one of tasks.quality.FLAGS (growth_rate_implausible, share_outside_0_100, ...)."),
        ("detail", pa.string(), "The values that broke the rule, for a person to check (growth_pct 1036.0 outside [-100, 1000])."),
    ],
    produced_by={"tasks.quality.flag_implausible_values": "*"},
)
