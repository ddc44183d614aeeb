-- one row per target statement; attainment is actual / target whenever both are numbers
-- (a negative attainment is valid data: an actual that shrank against a positive target)
select
    target_fact_id,
    target_value_base,
    actual_value_base,
    attainment
from mart_plan_vs_actual
where target_fact_id is null
   or target_fact_id in (select target_fact_id from mart_plan_vs_actual group by target_fact_id having count(*) > 1)
   or (target_value_base <> 0 and actual_value_base is not null and attainment is null)
   or (attainment is not null and abs(attainment * target_value_base - actual_value_base) > 1e-9 * abs(actual_value_base) + 1e-12)
