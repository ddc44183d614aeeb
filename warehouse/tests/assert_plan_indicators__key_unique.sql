-- (doc_id, para_id, row_no) identifies one plan-table row, of an existing table paragraph
select
    p.doc_id,
    p.para_id,
    p.row_no,
    count(*) as n,
    any_value(g.kind) as paragraph_kind
from plan_indicators as p
left join paragraphs as g
    on g.doc_id = p.doc_id
    and g.para_id = p.para_id
group by p.doc_id, p.para_id, p.row_no
having p.doc_id is null
    or p.row_no is null
    or count(*) > 1
    or any_value(g.kind) is distinct from 'table'
