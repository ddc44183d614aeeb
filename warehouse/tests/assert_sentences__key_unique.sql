-- (doc_id, para_id, sent_id) identifies one sentence
select
    doc_id,
    para_id,
    sent_id,
    count(*) as n
from sentences
group by doc_id, para_id, sent_id
having doc_id is null or para_id is null or sent_id is null or count(*) > 1
