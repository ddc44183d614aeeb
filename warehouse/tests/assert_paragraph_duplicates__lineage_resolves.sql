-- every lineage row links a paragraph marked duplicate to a kept paragraph, with a known method and score
select
    l.doc_id,
    l.para_id,
    l.kept_doc_id,
    l.kept_para_id,
    l.method,
    l.score,
    d.is_duplicate as dup_is_duplicate,
    k.is_duplicate as kept_is_duplicate
from {{ ref('stg_paragraph_duplicates') }} as l
left join {{ ref('stg_paragraphs') }} as d
    on d.doc_id = l.doc_id
    and d.para_id = l.para_id
left join {{ ref('stg_paragraphs') }} as k
    on k.doc_id = l.kept_doc_id
    and k.para_id = l.kept_para_id
where d.doc_id is null
   or k.doc_id is null
   or not d.is_duplicate
   or k.is_duplicate
   or l.method not in ('exact', 'containment', 'splice')
   or l.method is null
   or l.score is null
   or l.score not between 0 and 1
