-- mart_indicator_timeline: the value of each metric per region and year, one chosen among all sources.
-- grain: one row per region x metric_key x measure x year x start_year
--   (year = last year of the period; start_year = year for a one-year value, earlier for a
--   period value such as a five-year average growth, which is a different fact from the annual one);
-- key: (region, metric_key, measure, year, start_year).
-- Sources: metric_facts (running-text indicators and plan-table cells) with a metric_key.
-- Selection rule: actual beats forecast, forecast beats target; among sources of the same status the
-- value as reported beats its comparable-basis restatement (同口径), then the latest document wins (metric_facts.doc_date: event_date, else publish_date, else 1 January of its year);
-- ties go to the lowest doc_id, then running text before plan tables, then the lowest para_id and fact_id.
-- has_disagreement: the sources with the chosen status differ by more than 0.5% of the largest
-- absolute value after conversion to base units (value_base), or state different base units.
-- sources keeps every source, best first, as a list of structs.
-- A target range keeps both ends (modifier 'range': value to value_high); a target the text says is not
-- set (modifier 'not_set', '不设具体增长目标') is a row with a null value, so "no target" differs from "not found".
-- has_disagreement leaves comparable-basis restatements out (they differ from the reported value by design).
with

metric_facts as (
    select * from {{ ref('metric_facts') }}
    where metric_key is not null
      and region is not null
      and year is not null
),

ranked as (
    select
        *,
        case status
            when 'actual' then 1
            when 'forecast' then 2
            else 3
        end as status_rank,
        row_number() over (
            partition by region, metric_key, measure, year, start_year
            order by
                case status when 'actual' then 1 when 'forecast' then 2 else 3 end,
                coalesce(is_comparable_basis, false),
                doc_date desc nulls last,
                doc_id,
                case source when 'text' then 0 else 1 end,
                para_id,
                fact_id
        ) as source_rank
    from metric_facts
),

chosen as (
    select * from ranked
    where source_rank = 1
),

agreement as (
    select
        r.region,
        r.metric_key,
        r.measure,
        r.year,
        r.start_year,
        count(*) as n_same_status,
        max(r.value_base) - min(r.value_base) as spread_base,
        max(abs(r.value_base)) as max_abs_base,
        count(distinct coalesce(r.base_unit, '')) as n_base_units
    from ranked as r
    inner join chosen as c
        using (region, metric_key, measure, year, start_year, status)
    where not coalesce(r.is_comparable_basis, false)
    group by all
),

source_lists as (
    select
        region,
        metric_key,
        measure,
        year,
        start_year,
        count(*) as n_sources,
        count(distinct doc_id) as n_documents,
        list(
            {
                'fact_id': fact_id,
                'source': source,
                'doc_id': doc_id,
                'para_id': para_id,
                'doc_date': doc_date,
                'status': status,
                'value': value,
                'unit': unit,
                'value_base': value_base,
                'qualifier': qualifier,
                'modifier': modifier,
                'value_high': value_high,
                'evidence': evidence
            }
            order by source_rank
        ) as sources
    from ranked
    group by all
),

final as (
    select
        c.region,
        c.metric_key,
        c.measure,
        c.year,
        c.start_year,
        c.metric,
        c.value,
        c.unit,
        c.value_base,
        c.base_unit,
        c.qualifier,
        c.modifier,
        c.value_high,
        c.period_kind,
        c.modifier = 'not_set' as is_target_not_set,
        c.is_comparable_basis,
        c.status,
        c.source,
        c.doc_id,
        c.para_id,
        c.fact_id,
        c.doc_date,
        c.evidence,
        s.n_sources,
        s.n_documents,
        (
            coalesce(a.n_base_units > 1, false)
            or coalesce(a.spread_base > 0.005 * a.max_abs_base, false)
        ) as has_disagreement,
        s.sources
    from chosen as c
    inner join source_lists as s
        using (region, metric_key, measure, year, start_year)
    -- a fact stated only on a comparable basis has no agreement row
    left join agreement as a
        using (region, metric_key, measure, year, start_year)
)

select * from final
