-- every indicator points at an existing, kept paragraph of its document
select
    i.indicator_id,
    i.doc_id,
    i.para_id,
    p.is_duplicate
from {{ ref('stg_indicators') }} as i
left join {{ ref('stg_paragraphs') }} as p
    on p.doc_id = i.doc_id
    and p.para_id = i.para_id
where p.doc_id is null
   or p.is_duplicate
