-- one row per document; kept + dropped paragraphs = all paragraphs = documents.n_paragraphs; ratios in [0, 1]
select
    m.doc_id,
    m.paragraphs_total,
    m.paragraphs_kept,
    m.paragraphs_dropped,
    d.n_paragraphs,
    m.duplicate_ratio
from mart_documents as m
left join documents as d using (doc_id)
where d.doc_id is null
   or m.paragraphs_kept + m.paragraphs_dropped <> m.paragraphs_total
   or m.paragraphs_total <> d.n_paragraphs
   or m.duplicate_ratio not between 0 and 1
   or m.duplicate_char_ratio not between 0 and 1
   or m.doc_id in (select doc_id from mart_documents group by doc_id having count(*) > 1)
