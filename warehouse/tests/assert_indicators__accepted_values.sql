-- status, measure, modifier and period_kind take their documented values;
-- a range has a high end above its value, and only a range has one
select
    indicator_id,
    status,
    measure,
    year,
    start_year,
    end_year,
    modifier,
    value_high,
    period_kind
from indicators
where status is null
   or status not in ('actual', 'target', 'forecast')
   or measure is null
   or measure not in ('level', 'growth_pct', 'share_pct', 'per_capita', 'count', 'rank', 'other')
   or metric_key is null
   -- (modifier and period_kind are null only in Parquet written before they existed)
   or modifier not in ('point', 'about', 'at_least', 'at_most', 'range', 'not_set')
   or period_kind not in ('year', 'plan_average', 'plan_cumulative')
   or coalesce(modifier = 'range', false) is distinct from (value_high is not null)
   or value_high <= value
   or (modifier = 'not_set' and value is not null)
