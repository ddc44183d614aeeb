-- metric_facts: every stated value of a metric, from running text and from plan tables, in one shape.
-- grain: one row per stated value; key: fact_id
--   (source 'text': indicators.indicator_id; source 'plan_table': doc_id:para_id:row_no:column).
-- Plan-table rows are mapped to metric keys through tasks/resources/metric_keys.tsv:
-- the longest surface name the indicator name starts with, followed by nothing
-- (measure_hint), by 增长/增速 (growth_pct when the unit is %) or by 占…比重/比例/比率
-- (share_pct when the unit is %); rows that map to no key keep metric_key null.
-- A plan table's target column gives status 'target', its baseline and actual columns 'actual'.
-- (the dbt var resources is the absolute path of tasks/resources, passed by tasks/warehouse.py.)
-- Indicators and plan-table rows listed in quality_flags are left out unless the dbt var include_flagged is true.
-- modifier (point, about, at_least, at_most, range, not_set), value_high (a range's upper end), period_kind
-- (year, plan_average, plan_cumulative) and is_comparable_basis come from indicators; plan cells derive them.
-- doc_date (event_date, else publish_date, else 1 January of the document's year) orders sources in later marts.
with

documents as (
    select * from {{ ref('stg_documents') }}
),

-- a running-text value with a plausibility flag (tasks/quality.py) is published in indicators
-- but left out of the facts, and so of every mart series, unless the build keeps them
indicators as (
    select * from {{ ref('stg_indicators') }}
    where {{ var('include_flagged') }}
       or indicator_id not in (
           select row_id from {{ ref('stg_quality_flags') }}
           where dataset = 'indicators'
       )
),

plan_indicators as (
    select * from {{ ref('stg_plan_indicators') }}
),

metric_names as (
    select
        surface,
        metric_key,
        measure_hint
    from read_csv(
        '{{ var('resources') }}/metric_keys.tsv',
        delim = '\t',
        header = true,
        comment = '#',
        all_varchar = true
    )
    -- a surface naming two metrics at once (a|b) only makes sense with a 分别 list
    where metric_key not like '%|%'
),

-- magnitude prefixes (亿 = 1e8), the same file tasks/indicators.py scales text values by
unit_magnitudes as (
    select
        prefix,
        cast(factor as double) as factor
    from read_csv(
        '{{ var('resources') }}/unit_magnitudes.tsv',
        delim = '\t',
        header = true,
        comment = '#',
        all_varchar = true
    )
),

doc_dates as (
    select
        doc_id,
        region,
        coalesce(event_date, publish_date, make_date(year, 1, 1)) as doc_date
    from documents
),

text_facts as (
    select
        i.indicator_id as fact_id,
        'text' as source,
        i.doc_id,
        i.para_id,
        i.region,
        i.metric,
        i.metric_key,
        i.measure,
        coalesce(i.end_year, i.year) as year,
        coalesce(i.start_year, i.end_year, i.year) as start_year,
        i.status,
        i.value,
        i.unit,
        i.value_base,
        i.base_unit,
        i.qualifier,
        i.modifier,
        i.value_high,
        i.period_kind,
        i.is_comparable_basis,
        i.evidence
    from indicators as i
),

plan_cells as (
    select
        p.*,
        d.region,
        cell.column_name,
        cell.cell_year,
        cell.cell_value,
        cell.cell_status
    from plan_indicators as p
    inner join doc_dates as d using (doc_id)
    -- a plan-table row with a plausibility flag is left out like a flagged indicator
    anti join (
        select row_id from {{ ref('stg_quality_flags') }}
        where dataset = 'plan_indicators'
          and not {{ var('include_flagged') }}
    ) as f
        on f.row_id = p.doc_id || ':' || p.para_id || ':' || p.row_no
    cross join unnest([
        {'column_name': 'baseline', 'cell_year': p.baseline_year, 'cell_value': p.baseline_value, 'cell_status': 'actual'},
        {'column_name': 'target', 'cell_year': p.target_year, 'cell_value': p.target_value, 'cell_status': 'target'},
        {'column_name': 'actual', 'cell_year': p.actual_year, 'cell_value': p.actual_value, 'cell_status': 'actual'}
    ]) as t(cell)
    where cell.cell_year is not null
      and cell.cell_value is not null
),

-- each plan unit's magnitude: the longest prefix followed by a base unit (万人 -> 万, 人);
-- a ratio (万元/人) is not scaled, 万 alone is a count word
plan_unit_magnitudes as (
    select
        u.unit,
        arg_max(m.prefix, length(m.prefix)) as prefix,
        arg_max(m.factor, length(m.prefix)) as factor
    from (select distinct unit from plan_cells where unit not like '%/%') as u
    inner join unit_magnitudes as m
        on starts_with(u.unit, m.prefix)
        and length(u.unit) > length(m.prefix)
    group by u.unit
),

plan_name_matches as (
    select
        c.doc_id,
        c.para_id,
        c.row_no,
        c.column_name,
        n.metric_key,
        n.measure_hint,
        substr(c.indicator, length(n.surface) + 1) as name_rest,
        row_number() over (
            partition by c.doc_id, c.para_id, c.row_no, c.column_name
            order by length(n.surface) desc, n.surface
        ) as match_rank
    from plan_cells as c
    inner join metric_names as n
        on starts_with(c.indicator, n.surface)
),

plan_measures as (
    select
        doc_id,
        para_id,
        row_no,
        column_name,
        metric_key,
        measure_hint,
        name_rest
    from plan_name_matches
    where match_rank = 1
),

plan_facts as (
    select
        c.doc_id || ':' || c.para_id || ':' || c.row_no || ':' || c.column_name as fact_id,
        'plan_table' as source,
        c.doc_id,
        c.para_id,
        c.region,
        c.indicator as metric,
        case
            when m.name_rest = '' then m.metric_key
            when m.name_rest in ('增长', '增速') and c.unit = '%' then m.metric_key
            when regexp_matches(m.name_rest, '^占.*(比重|比例|比率)$') and c.unit = '%' then m.metric_key
            when m.name_rest in ('增长', '增速') then m.metric_key
        end as metric_key,
        case
            when m.name_rest = '' then m.measure_hint
            when m.name_rest in ('增长', '增速') and c.unit = '%' then 'growth_pct'
            when regexp_matches(m.name_rest, '^占.*(比重|比例|比率)$') and c.unit = '%' then 'share_pct'
            -- 地区生产总值(GDP)增长 in 亿元 states the level, whatever its name says
            when m.name_rest in ('增长', '增速') then m.measure_hint
        end as measure,
        c.cell_year as year,
        case
            when c.is_cumulative and c.column_name = 'target' and starts_with(c.target_text, '[') then c.cell_year - 4
            else c.cell_year
        end as start_year,
        c.cell_status as status,
        c.cell_value as value,
        c.unit,
        c.cell_value * coalesce(u.factor, 1) as value_base,
        case
            when u.prefix is null then c.unit
            else substr(c.unit, length(u.prefix) + 1)
        end as base_unit,
        c.qualifier,
        -- a plan cell gives one number; its written qualifier says how it bounds the fact
        case
            when c.qualifier in ('以上', '多') then 'at_least'
            when c.qualifier in ('以下', '以内') then 'at_most'
            when c.qualifier in ('左右', '上下') then 'about'
            else 'point'
        end as modifier,
        cast(null as double) as value_high,
        case
            when c.is_cumulative and c.column_name = 'target' and starts_with(c.target_text, '[') then 'plan_cumulative'
            else 'year'
        end as period_kind,
        false as is_comparable_basis,
        c.table_title || ' | ' || c.indicator || ' | ' || c.column_name || ' ' || c.cell_year || ': '
            || coalesce(
                case c.column_name
                    when 'baseline' then c.baseline_text
                    when 'target' then c.target_text
                    else c.actual_text
                end,
                cast(c.cell_value as varchar)
            ) as evidence
    from plan_cells as c
    left join plan_measures as m
        using (doc_id, para_id, row_no, column_name)
    left join plan_unit_magnitudes as u
        on u.unit = c.unit
),

unioned as (
    select * from text_facts
    union all by name
    select * from plan_facts
),

final as (
    select
        u.fact_id,
        u.source,
        u.doc_id,
        u.para_id,
        u.region,
        u.metric,
        u.metric_key,
        u.measure,
        u.year,
        u.start_year,
        u.status,
        u.value,
        u.unit,
        u.value_base,
        u.base_unit,
        u.qualifier,
        u.modifier,
        u.value_high,
        u.period_kind,
        u.is_comparable_basis,
        u.evidence,
        d.doc_date
    from unioned as u
    inner join doc_dates as d using (doc_id)
)

select * from final
