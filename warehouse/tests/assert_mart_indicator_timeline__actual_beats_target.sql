-- the selection rule: a row whose sources hold an actual never shows a target or forecast
select
    region,
    metric_key,
    measure,
    year,
    start_year,
    status
from mart_indicator_timeline
where status <> 'actual'
  and list_contains(list_transform(sources, lambda s: s.status), 'actual')
