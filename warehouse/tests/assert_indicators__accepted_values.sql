-- status, measure and year fields take their documented values
select
    indicator_id,
    status,
    measure,
    year,
    start_year,
    end_year
from indicators
where status is null
   or status not in ('actual', 'target', 'forecast')
   or measure is null
   or measure not in ('level', 'growth_pct', 'share_pct', 'per_capita', 'count', 'rank', 'other')
   or metric_key is null
