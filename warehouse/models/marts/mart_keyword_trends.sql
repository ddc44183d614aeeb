-- mart_keyword_trends: how often each content term occurs per region and year.
-- grain: one row per region x year x term; key: (region, year, term).
-- count: occurrences of the term (term_stats.count) summed over the region's non-duplicate documents of that year.
-- kept_chars: characters of the kept (is_duplicate = false), non-table paragraphs of those documents;
-- per_10k_chars = count * 10000 / kept_chars. Documents without a region or year are left out.
with

documents as (
    select *
    from {{ ref('stg_documents') }}
    where not is_duplicate
      and region is not null
      and year is not null
),

-- a number per region and year (any numbering, one of them: materialized): the millions of term rows
-- are grouped and ranked by it rather than by the region's string
region_years as materialized (
    select
        row_number() over () as region_year_no,
        region,
        year
    from (select distinct region, year from documents)
),

document_region_years as (
    select
        d.doc_id,
        r.region_year_no
    from documents as d
    inner join region_years as r using (region, year)
),

paragraphs as (
    select * from {{ ref('stg_paragraphs') }}
),

term_stats as (
    select * from {{ ref('stg_term_stats') }}
),

kept_chars as (
    select
        d.region_year_no,
        cast(sum(p.n_chars) as bigint) as kept_chars,
        count(distinct d.doc_id) as n_documents
    from document_region_years as d
    inner join paragraphs as p using (doc_id)
    where not p.is_duplicate
      and p.kind <> 'table'
    group by all
),

-- (doc_id, term) is term_stats' tested key: each row below is one document's count of a term, so the
-- rows of a region, year and term count its distinct documents (no grouping by document first)
term_counts as (
    select
        d.region_year_no,
        t.term,
        cast(sum(t.count) as bigint) as count,
        count(*) as n_documents_with_term
    from term_stats as t
    inner join document_region_years as d using (doc_id)
    group by all
),

final as (
    select
        r.region,
        r.year,
        t.term,
        t.count,
        t.n_documents_with_term,
        k.n_documents,
        k.kept_chars,
        t.count * 10000.0 / k.kept_chars as per_10k_chars,
        rank() over (partition by t.region_year_no order by t.count desc) as rank_in_region_year
    from term_counts as t
    inner join kept_chars as k using (region_year_no)
    inner join region_years as r using (region_year_no)
    where k.kept_chars > 0
)

select * from final
