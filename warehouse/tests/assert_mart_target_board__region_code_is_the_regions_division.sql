-- a target's region_code is a code of the gazetteer that has (or had) the region's name: its parent code
-- places it beside its parent's target, so a wrong code would pair it with another government's
select
    b.region,
    b.region_code,
    b.metric_key,
    b.year,
    d.all_paths
from {{ ref('mart_target_board') }} as b
left join {{ ref('divisions') }} as d
    on d.code = b.region_code
where b.region_code is not null
  and (d.code is null or not list_contains(d.all_paths, b.region))
