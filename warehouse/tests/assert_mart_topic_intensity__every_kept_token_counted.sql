-- every word token (punctuation aside) of a non-duplicate document is counted in its document's row:
-- a token whose document is unknown would fall out of every topic's denominator unseen
with

counted as (
    select distinct
        doc_id,
        n_tokens
    from {{ ref('mart_topic_intensity') }}
    where scope = 'document'
),

tokens as (
    select
        t.doc_id,
        count(*) as n_tokens
    from {{ ref('stg_tokens') }} as t
    where t.pos is distinct from 'x'
      -- a duplicate document's tokens are left out of the index on purpose
      and t.doc_id not in (select doc_id from {{ ref('stg_documents') }} where is_duplicate)
    group by t.doc_id
)

select
    t.doc_id,
    t.n_tokens as tokens_in_dataset,
    c.n_tokens as tokens_counted
from tokens as t
left join counted as c using (doc_id)
where c.n_tokens is distinct from t.n_tokens
