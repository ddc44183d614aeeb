-- mart_documents: each document's metadata with what the pipeline kept, dropped and found in it.
-- grain: one row per document; key: doc_id.
-- duplicate_ratio = paragraphs_dropped / paragraphs_total (0 for a document without paragraphs);
-- duplicate_char_ratio is the same by characters. Counts of later stages are 0 when nothing was found.
with

documents as (
    select * from {{ ref('stg_documents') }}
),

paragraphs as (
    select * from {{ ref('stg_paragraphs') }}
),

paragraph_repairs as (
    select * from {{ ref('stg_paragraph_repairs') }}
),

sentences as (
    select * from {{ ref('stg_sentences') }}
),

tokens as not materialized (
    select * from {{ ref('stg_tokens') }}
),

indicators as (
    select * from {{ ref('stg_indicators') }}
),

plan_indicators as (
    select * from {{ ref('stg_plan_indicators') }}
),

policy_phrases as (
    select * from {{ ref('stg_policy_phrases') }}
),

places as (
    select * from {{ ref('stg_places') }}
),

officials as (
    select * from {{ ref('stg_officials') }}
),

paragraph_stats as (
    select
        doc_id,
        count(*) as paragraphs_total,
        count(*) filter (where not is_duplicate) as paragraphs_kept,
        count(*) filter (where is_duplicate) as paragraphs_dropped,
        count(*) filter (where kind = 'table') as table_paragraphs,
        coalesce(sum(n_chars) filter (where not is_duplicate), 0) as chars_kept,
        coalesce(sum(n_chars) filter (where is_duplicate), 0) as chars_dropped
    from paragraphs
    group by doc_id
),

repair_stats as (
    select
        doc_id,
        count(*) filter (where repair = 'join') as paragraphs_joined,
        count(*) filter (where repair = 'drop_empty') as paragraphs_dropped_empty,
        count(*) filter (where repair = 'drop_no_text') as paragraphs_dropped_no_text
    from paragraph_repairs
    group by doc_id
),

sentence_stats as (
    select
        doc_id,
        count(*) as n_sentences
    from sentences
    group by doc_id
),

-- count(distinct token) groups millions of (document, token) pairs: grouping by hash(doc_id), a number,
-- is faster than by the 16-character doc_id and gives the same groups when no two doc_ids of tokens
-- share a hash, which is checked (else the tokens are grouped by doc_id).
token_doc_hashes_unique as (
    select count(*) = count(distinct doc_hash) as ok
    from (
        select doc_id, hash(doc_id) as doc_hash
        from tokens
        group by doc_id
    )
),

token_stats as (
    select
        any_value(doc_id) as doc_id,
        count(*) as n_tokens,
        count(distinct token) as n_distinct_tokens
    from tokens
    where (select ok from token_doc_hashes_unique)
    group by hash(doc_id)
    union all
    select
        doc_id,
        count(*) as n_tokens,
        count(distinct token) as n_distinct_tokens
    from tokens
    where not (select ok from token_doc_hashes_unique)
    group by doc_id
),

indicator_stats as (
    select
        doc_id,
        count(*) as n_indicators,
        count(*) filter (where is_core) as n_core_indicators,
        count(distinct metric_key) as n_metric_keys
    from indicators
    group by doc_id
),

plan_stats as (
    select
        doc_id,
        count(*) as n_plan_indicator_rows
    from plan_indicators
    group by doc_id
),

phrase_stats as (
    select
        doc_id,
        count(*) as n_policy_phrases
    from policy_phrases
    group by doc_id
),

place_stats as (
    select
        doc_id,
        count(*) as n_places
    from places
    group by doc_id
),

official_stats as (
    select
        doc_id,
        count(*) as n_officials
    from officials
    group by doc_id
),

final as (
    select
        d.doc_id,
        d.title,
        d.doc_type,
        d.region,
        d.region_code,
        d.year,
        d.event_date,
        d.publish_date,
        coalesce(d.event_date, d.publish_date, make_date(d.year, 1, 1)) as doc_date,
        d.speaker,
        d.speaker_title,
        d.publisher,
        d.tag,
        d.source_file,
        d.source_layout,
        d.encoding,
        d.n_chars,
        d.is_duplicate,
        d.duplicate_of,
        coalesce(p.paragraphs_total, 0) as paragraphs_total,
        coalesce(p.paragraphs_kept, 0) as paragraphs_kept,
        coalesce(p.paragraphs_dropped, 0) as paragraphs_dropped,
        coalesce(p.table_paragraphs, 0) as table_paragraphs,
        coalesce(p.chars_kept, 0) as chars_kept,
        coalesce(p.chars_dropped, 0) as chars_dropped,
        coalesce(p.paragraphs_dropped / nullif(p.paragraphs_total, 0), 0.0) as duplicate_ratio,
        coalesce(p.chars_dropped / nullif(p.chars_kept + p.chars_dropped, 0), 0.0) as duplicate_char_ratio,
        coalesce(r.paragraphs_joined, 0) as paragraphs_joined,
        coalesce(r.paragraphs_dropped_empty, 0) as paragraphs_dropped_empty,
        coalesce(r.paragraphs_dropped_no_text, 0) as paragraphs_dropped_no_text,
        coalesce(s.n_sentences, 0) as n_sentences,
        coalesce(t.n_tokens, 0) as n_tokens,
        coalesce(t.n_distinct_tokens, 0) as n_distinct_tokens,
        coalesce(i.n_indicators, 0) as n_indicators,
        coalesce(i.n_core_indicators, 0) as n_core_indicators,
        coalesce(i.n_metric_keys, 0) as n_metric_keys,
        coalesce(pl.n_plan_indicator_rows, 0) as n_plan_indicator_rows,
        coalesce(ph.n_policy_phrases, 0) as n_policy_phrases,
        coalesce(pa.n_places, 0) as n_places,
        coalesce(o.n_officials, 0) as n_officials
    from documents as d
    left join paragraph_stats as p using (doc_id)
    left join repair_stats as r using (doc_id)
    left join sentence_stats as s using (doc_id)
    left join token_stats as t using (doc_id)
    left join indicator_stats as i using (doc_id)
    left join plan_stats as pl using (doc_id)
    left join phrase_stats as ph using (doc_id)
    left join place_stats as pa using (doc_id)
    left join official_stats as o using (doc_id)
)

select * from final
