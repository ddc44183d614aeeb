-- mart_policy_phrases: how often each policy phrase is used per region and year, and when it was first seen.
-- grain: one row per phrase x region x year; key: (phrase, region, year).
-- count sums policy_phrases.count over the region's non-duplicate documents of that year.
-- first_seen_year: earliest documents.year of a document of this region using the phrase;
-- first_seen: the earliest doc_date (event_date, else publish_date, else 1 January of the year) among
-- this region's documents of first_seen_year using it; first_seen_anywhere_year: earliest year in any region.
with

documents as (
    select
        doc_id,
        region,
        year,
        coalesce(event_date, publish_date, make_date(year, 1, 1)) as doc_date
    from {{ ref('stg_documents') }}
    where not is_duplicate
      and region is not null
      and year is not null
),

policy_phrases as (
    select * from {{ ref('stg_policy_phrases') }}
),

phrase_docs as (
    select
        p.phrase,
        p.phrase_type,
        p.doc_id,
        p.count,
        d.region,
        d.year,
        d.doc_date
    from policy_phrases as p
    inner join documents as d using (doc_id)
),

per_region_year as (
    select
        phrase,
        region,
        year,
        -- a phrase built on numerals in one document and quoted in another is reported as numbered
        max(phrase_type) as phrase_type,
        cast(sum(count) as bigint) as count,
        count(distinct doc_id) as n_documents,
        min(doc_date) as first_seen_in_year
    from phrase_docs
    group by all
),

first_seen as (
    select
        phrase,
        region,
        arg_min(first_seen_in_year, year) as first_seen,
        min(year) as first_seen_year
    from per_region_year
    group by all
),

final as (
    select
        p.phrase,
        p.region,
        p.year,
        p.phrase_type,
        p.count,
        p.n_documents,
        f.first_seen,
        f.first_seen_year,
        min(p.year) over (partition by p.phrase) as first_seen_anywhere_year
    from per_region_year as p
    inner join first_seen as f using (phrase, region)
)

select * from final
