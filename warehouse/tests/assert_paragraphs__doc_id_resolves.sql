-- every paragraph belongs to a document
select p.doc_id, p.para_id
from paragraphs as p
left join documents as d using (doc_id)
where d.doc_id is null
