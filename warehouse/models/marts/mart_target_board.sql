-- mart_target_board: each year's target of a region beside the actual it reported the next year, the way
-- a work-report target dashboard shows them (目标 / 完成 / 是否完成).
-- grain: one row per region × metric_key × measure × year with a one-year target; key: (region, metric_key, measure, year).
-- Targets: metric_facts rows with status target, a metric_key and a one-year period (start_year = year,
-- period_kind year), from running text or a plan table. When several state one, the chosen one is: from
-- the region's work report of that year first, then the latest document (doc_date), then the lowest
-- doc_id, para_id and fact_id; n_target_statements and has_conflicting_targets tell the others.
-- Actual: the actual for the same region, metric_key, measure and year stated by a document of the
-- next year (a work report reviews its previous year): a work report first, the value as reported
-- before a comparable-basis restatement, then the latest document and the lowest doc_id, para_id, fact_id.
-- is_met: actual >= target (the low end of a range), or actual <= target (the high end of a range) for a
-- ceiling: an at_most target (以内, 以下) or an unemployment rate; null without a numeric target (not_set),
-- without an actual, or when they are in different base units.
-- region_code: the indicator's code, else its document's when the fact is about the document's region,
-- else the gazetteer's code of the region's name; parent_region_code: the gazetteer's unit above.
with

facts as (
    select * from {{ ref('metric_facts') }}
    where metric_key is not null
      and region is not null
      and year is not null
),

documents as (
    select
        doc_id,
        region as doc_region,
        region_code as doc_region_code,
        year as doc_year,
        doc_type
    from {{ ref('stg_documents') }}
),

indicator_codes as (
    select
        indicator_id,
        region_code
    from {{ ref('stg_indicators') }}
),

divisions as (
    select * from {{ ref('divisions') }}
),

-- a region name to its code (a former name carries the code of the unit it became)
path_codes as (
    select
        path,
        min(code) as code
    from (
        select
            unnest(all_paths) as path,
            code
        from divisions
    )
    group by path
),

located as (
    select
        f.*,
        coalesce(
            i.region_code,
            case when f.region = d.doc_region then d.doc_region_code end,
            pc.code
        ) as region_code,
        d.doc_year,
        d.doc_type,
        coalesce(d.doc_type = 'gov_work_report', false) as is_work_report
    from facts as f
    inner join documents as d using (doc_id)
    left join indicator_codes as i
        on i.indicator_id = f.fact_id
    left join path_codes as pc
        on pc.path = f.region
),

targets as (
    select
        *,
        row_number() over target_key as statement_rank,
        count(*) over (partition by region, metric_key, measure, year) as n_target_statements,
        coalesce(
            min(value) over (partition by region, metric_key, measure, year)
                <> max(value) over (partition by region, metric_key, measure, year)
            or min(modifier) over (partition by region, metric_key, measure, year)
                <> max(modifier) over (partition by region, metric_key, measure, year),
            false
        ) as has_conflicting_targets
    from located
    where status = 'target'
      and start_year = year
      and period_kind = 'year'
    window target_key as (
        partition by region, metric_key, measure, year
        order by (is_work_report and doc_year = year) desc, doc_date desc, doc_id, para_id, fact_id
    )
),

chosen_targets as (
    select * from targets
    where statement_rank = 1
),

next_year_actuals as (
    select
        *,
        row_number() over (
            partition by region, metric_key, measure, year
            order by is_work_report desc, is_comparable_basis, doc_date desc, doc_id, para_id, fact_id
        ) as statement_rank
    from located
    where status = 'actual'
      and start_year = year
      and doc_year = year + 1
),

chosen_actuals as (
    select * from next_year_actuals
    where statement_rank = 1
),

joined as (
    select
        t.region,
        t.region_code,
        dv.parent_code as parent_region_code,
        t.metric_key,
        t.measure,
        t.year,
        t.value as target_value,
        t.value_high as target_value_high,
        t.modifier as target_modifier,
        coalesce(t.modifier = 'not_set', false) as is_target_not_set,
        t.unit as target_unit,
        t.value_base as target_value_base,
        -- the high end of a range in base units (the value's own factor)
        case
            when t.value_high is not null and t.value <> 0 then t.value_high * t.value_base / t.value
        end as target_value_high_base,
        t.base_unit as target_base_unit,
        t.source as target_source,
        t.doc_id as target_doc_id,
        t.fact_id as target_fact_id,
        (t.is_work_report and t.doc_year = t.year) as target_from_work_report,
        t.evidence as target_evidence,
        t.n_target_statements,
        t.has_conflicting_targets,
        a.value as actual_value,
        a.unit as actual_unit,
        a.value_base as actual_value_base,
        a.base_unit as actual_base_unit,
        a.doc_id as actual_doc_id,
        a.fact_id as actual_fact_id,
        a.evidence as actual_evidence,
        (
            coalesce(t.modifier = 'at_most', false)
            or t.metric_key in ('registered_unemployment_rate', 'surveyed_unemployment_rate')
        ) as is_ceiling
    from chosen_targets as t
    left join chosen_actuals as a
        on a.region = t.region
        and a.metric_key = t.metric_key
        and a.measure = t.measure
        and a.year = t.year
    left join divisions as dv
        on dv.code = t.region_code
),

final as (
    select
        region,
        region_code,
        parent_region_code,
        metric_key,
        measure,
        year,
        target_value,
        target_value_high,
        target_modifier,
        is_target_not_set,
        target_unit,
        target_value_base,
        target_base_unit,
        target_source,
        target_doc_id,
        target_fact_id,
        target_from_work_report,
        target_evidence,
        n_target_statements,
        has_conflicting_targets,
        actual_value,
        actual_unit,
        actual_value_base,
        actual_base_unit,
        actual_doc_id,
        actual_fact_id,
        actual_evidence,
        case
            when not is_target_not_set
                and target_base_unit is not distinct from actual_base_unit
                and target_value_base <> 0
                then actual_value_base / target_value_base
        end as attainment,
        -- a rate's gap in percentage points (7.9% against a target of 8% is -0.1)
        case
            when target_base_unit = '%' and actual_base_unit = '%' and not is_target_not_set
                then actual_value_base - target_value_base
        end as gap_pct_points,
        is_ceiling,
        case
            when is_target_not_set
                or target_value_base is null
                or actual_value_base is null
                or target_base_unit is distinct from actual_base_unit
                then null
            when is_ceiling then actual_value_base <= coalesce(target_value_high_base, target_value_base)
            else actual_value_base >= target_value_base
        end as is_met
    from joined
)

select * from final
