-- mart_plan_vs_actual: every plan target next to the actual value reported for the same region, metric and year.
-- grain: one row per target statement: a plan-table target cell or a running-text indicator with status 'target';
-- key: target_fact_id (metric_facts.fact_id of the target).
-- The actual is, first, the chosen actual of mart_indicator_timeline for the same region, metric_key, measure,
-- year and start_year (latest document wins); for a plan-table row without a metric_key, the actual cell of
-- a plan-table row with the same indicator name, region and year (e.g. a 十三五 table's 2020 column).
-- attainment = actual_value_base / target_value_base when both are numbers and the target is not 0
-- (for a ceiling target, e.g. 以下 or a 降低 rate, a ratio below 1 is good: read it with target_qualifier).
-- A negative attainment is valid (output shrank against a positive growth target). quality_flag is
-- 'attainment_far_from_target' when |attainment| > 5: more often a unit or metric mismatch than a fact.
with

metric_facts as (
    select * from {{ ref('metric_facts') }}
),

timeline as (
    select * from {{ ref('mart_indicator_timeline') }}
    where status = 'actual'
),

targets as (
    select * from {{ ref('metric_facts') }}
    where status = 'target'
      and year is not null
),

actual_by_name as (
    select
        region,
        metric,
        year,
        start_year,
        value,
        unit,
        value_base,
        doc_id,
        fact_id,
        evidence,
        row_number() over (
            partition by region, metric, year, start_year
            order by doc_date desc nulls last, doc_id, fact_id
        ) as name_rank
    from metric_facts
    where source = 'plan_table'
      and status = 'actual'
),

joined as (
    select
        t.fact_id as target_fact_id,
        t.source as target_source,
        t.region,
        t.metric,
        t.metric_key,
        t.measure,
        t.year,
        t.start_year,
        t.value as target_value,
        t.unit as target_unit,
        t.value_base as target_value_base,
        t.base_unit,
        t.qualifier as target_qualifier,
        t.doc_id as target_doc_id,
        t.evidence as target_evidence,
        case
            when a.fact_id is not null then 'timeline'
            when n.fact_id is not null then 'plan_table_name'
        end as actual_match,
        coalesce(a.value, n.value) as actual_value,
        coalesce(a.unit, n.unit) as actual_unit,
        coalesce(a.value_base, n.value_base) as actual_value_base,
        coalesce(a.doc_id, n.doc_id) as actual_doc_id,
        coalesce(a.fact_id, n.fact_id) as actual_fact_id,
        coalesce(a.evidence, n.evidence) as actual_evidence
    from targets as t
    left join timeline as a
        on a.region = t.region
        and a.metric_key = t.metric_key
        and a.measure = t.measure
        and a.year = t.year
        and a.start_year = t.start_year
    left join actual_by_name as n
        on t.metric_key is null
        and n.region = t.region
        and n.metric = t.metric
        and n.year = t.year
        and n.start_year = t.start_year
        and n.name_rank = 1
),

with_attainment as (
    select
        target_fact_id,
        target_source,
        region,
        metric,
        metric_key,
        measure,
        year,
        start_year,
        target_value,
        target_unit,
        target_value_base,
        base_unit,
        target_qualifier,
        target_doc_id,
        target_evidence,
        actual_match,
        actual_value,
        actual_unit,
        actual_value_base,
        actual_doc_id,
        actual_fact_id,
        actual_evidence,
        case
            when target_value_base is not null
                and actual_value_base is not null
                and target_value_base <> 0
                then actual_value_base / target_value_base
        end as attainment
    from joined
),

final as (
    select
        *,
        case
            when abs(attainment) > 5 then 'attainment_far_from_target'
        end as quality_flag
    from with_attainment
)

select * from final
