-- dedup leaves no body paragraph text kept twice (in one document or across documents),
-- with dedup's own exemption: keys shorter than DedupConfig.min_exact_chars (2 characters
-- without whitespace) are not deduplicated, so they are not checked either
select
    text,
    count(*) as n,
    list(doc_id || ':' || para_id order by doc_id, para_id) as kept_at
from {{ ref('stg_paragraphs') }}
where kind = 'body'
  and not is_duplicate
  and length(regexp_replace(text, '\s', '', 'g')) >= 2
group by text
having count(*) > 1
