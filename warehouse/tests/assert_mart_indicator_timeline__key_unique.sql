-- (region, metric_key, measure, year, start_year) identifies one row, and the chosen source is among its sources
select
    region,
    metric_key,
    measure,
    year,
    start_year,
    count(*) as n
from mart_indicator_timeline
group by region, metric_key, measure, year, start_year
having region is null
    or metric_key is null
    or measure is null
    or year is null
    or count(*) > 1
    or bool_or(n_sources <> len(sources))
    or bool_or(sources[1].fact_id <> fact_id)
    or bool_or(status not in ('actual', 'target', 'forecast'))
