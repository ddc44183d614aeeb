-- an indicator that carries its document's region carries its document's code too
select
    i.indicator_id,
    i.doc_id,
    i.region,
    i.region_code,
    d.region_code as document_region_code
from {{ ref('stg_indicators') }} as i
inner join {{ ref('stg_documents') }} as d
    on i.doc_id = d.doc_id
where i.region = d.region
  and d.region_code is not null
  and i.region_code is distinct from d.region_code
