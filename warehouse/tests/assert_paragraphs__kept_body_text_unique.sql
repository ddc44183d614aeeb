-- dedup leaves no body paragraph text kept twice (in one document or across documents)
select
    text,
    count(*) as n,
    list(doc_id || ':' || para_id order by doc_id, para_id) as kept_at
from paragraphs
where kind = 'body'
  and not is_duplicate
group by text
having count(*) > 1
