-- a growth or share target is in percent on both sides, so the difference is in percentage points
-- (a growth_pct target in 亿元 is a misread level)
select
    region,
    parent_region,
    metric_key,
    measure,
    year,
    target_base_unit,
    parent_target_base_unit
from {{ ref('mart_target_amplification') }}
where target_base_unit is distinct from '%'
   or parent_target_base_unit is distinct from '%'
