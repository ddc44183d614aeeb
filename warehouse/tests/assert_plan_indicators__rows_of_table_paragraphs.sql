-- every plan-table row comes from an existing paragraph of kind table
-- (the key itself is tested on the source: plan_indicators__key_unique)
select
    p.doc_id,
    p.para_id,
    p.row_no,
    g.kind as paragraph_kind
from {{ ref('stg_plan_indicators') }} as p
left join {{ ref('stg_paragraphs') }} as g
    on g.doc_id = p.doc_id
    and g.para_id = p.para_id
where g.kind is distinct from 'table'
