-- (doc_id, para_id, sent_id, token_idx) identifies one token
select
    doc_id,
    para_id,
    sent_id,
    token_idx,
    count(*) as n
from tokens
group by doc_id, para_id, sent_id, token_idx
having doc_id is null or para_id is null or sent_id is null or token_idx is null or count(*) > 1
