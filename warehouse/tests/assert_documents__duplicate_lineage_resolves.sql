-- a duplicate document names an existing, other document; a kept one names none; sizes are not negative
-- (implausible years and dates are not invariants: tasks/quality.py flags them in quality_flags)
select
    d.doc_id,
    d.is_duplicate,
    d.duplicate_of,
    d.n_chars
from {{ ref('stg_documents') }} as d
left join {{ ref('stg_documents') }} as o
    on o.doc_id = d.duplicate_of
where (d.is_duplicate and (o.doc_id is null or d.duplicate_of = d.doc_id))
   or (not d.is_duplicate and d.duplicate_of is not null)
   or d.n_chars < 0
