-- region_code is a 6-digit division code, set only beside a region
select
    doc_id,
    region,
    region_code
from {{ ref('stg_documents') }}
where (region_code is not null and not regexp_full_match(region_code, '[0-9]{6}'))
   or (region_code is not null and region is null)
