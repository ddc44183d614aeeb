select doc_id, para_id, count(*) as n
from paragraphs
group by doc_id, para_id
having doc_id is null or para_id is null or count(*) > 1
