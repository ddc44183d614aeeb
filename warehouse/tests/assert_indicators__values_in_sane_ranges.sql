-- years are plausible and ordered, shares are percentages, amounts are not negative
select
    indicator_id,
    metric_key,
    measure,
    value,
    unit,
    value_base,
    year,
    start_year,
    end_year
from indicators
where value is null
   or value_base is null
   or (year is not null and year not between 1949 and 2100)
   or (start_year is not null and end_year is not null and start_year > end_year)
   or (measure = 'share_pct' and value not between 0 and 100)
   or (measure = 'growth_pct' and value not between -100 and 1000)
   or (measure in ('level', 'per_capita', 'count') and value < 0)
