-- (doc_id, term) identifies one term_stats row, and counts are positive
-- Grouping millions of (doc_id, term) strings is slow, so a cheaper check that is true exactly
-- when no row breaks the rule runs first (distinct hashes imply distinct keys), and the full
-- grouping only when it fails, e.g. on a hash collision.
with

keys_unique as (
    select coalesce(
        count(*) = count(distinct hash(doc_id, term))
        and count(*) = count(doc_id)
        and count(*) = count(term)
        and coalesce(min("count") >= 1, true),
        false
    ) as ok
    from {{ ref('stg_term_stats') }}
)

select
    doc_id,
    term,
    count(*) as n,
    min("count") as min_count
from {{ ref('stg_term_stats') }}
where not (select ok from keys_unique)
group by doc_id, term
having doc_id is null or term is null or count(*) > 1 or min("count") < 1
