-- (doc_id, para_id, sent_id, token_idx) identifies one token
-- Grouping all 4-part keys (tens of millions) is slow, so a cheaper check that is true exactly
-- when no key is repeated or incomplete runs first, and the full grouping only when it fails:
-- token_idx = 64 * (token_idx >> 6) + (token_idx & 63), so a sentence's token_idx values are
-- distinct iff in each block (token_idx >> 6) the bits 1 << (token_idx & 63) of its rows are,
-- i.e. their OR has as many bits set as the block has rows.
with

sentence_blocks as (
    select
        count(*) as n,
        count(token_idx) as n_idx,
        bit_count(bit_or(1::ubigint << (token_idx & 63))) as n_bits,
        bool_or(doc_id is null or para_id is null or sent_id is null) as has_null
    from {{ ref('stg_tokens') }}
    group by doc_id, para_id, sent_id, token_idx >> 6
),

keys_unique as (
    select coalesce(bool_and(coalesce(not has_null and n_idx = n and n_bits = n, false)), true) as ok
    from sentence_blocks
)

select
    doc_id,
    para_id,
    sent_id,
    token_idx,
    count(*) as n
from {{ ref('stg_tokens') }}
where not (select ok from keys_unique)
group by doc_id, para_id, sent_id, token_idx
having doc_id is null or para_id is null or sent_id is null or token_idx is null or count(*) > 1
