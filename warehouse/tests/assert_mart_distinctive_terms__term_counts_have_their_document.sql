-- every term count belongs to a document: counts of an unknown document would be left out of the
-- corpus that sets the prior and the rest, unseen
select
    t.doc_id,
    t.term,
    t.count
from {{ ref('stg_term_stats') }} as t
left join {{ ref('stg_documents') }} as d using (doc_id)
where d.doc_id is null
