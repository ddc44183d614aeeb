-- every document has one non-null doc_id that no other document shares
select doc_id, count(*) as n
from documents
group by doc_id
having doc_id is null or count(*) > 1
