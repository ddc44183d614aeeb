-- mart_target_amplification: each target of a region beside its parent government's target for the same
-- metric and year, to measure how targets are raised down the levels (Li, Liu, Weng & Zhou 2019,
-- Economic Journal: prefecture GDP growth targets above their province's).
-- grain: one row per child region × metric_key × measure × year where both targets exist;
-- key: (region, metric_key, measure, year).
-- Targets are mart_target_board's chosen ones for rates (measure growth_pct or share_pct, in %), so they
-- compare in percentage points. The parent is the gazetteer's unit above the child's region_code (the
-- country, 100000 全国, above a province). A range counts by its midpoint; a target the text says is not
-- set has no value, so its row has no difference. A child target without a parent target is no row here:
-- the report counts those region-years in its coverage line.
with

board as (
    select
        *,
        -- a range (6%–6.5%) counts by its midpoint
        case
            when target_value_high is not null then (target_value + target_value_high) / 2
            else target_value
        end as target_point
    from {{ ref('mart_target_board') }}
    where measure in ('growth_pct', 'share_pct')
),

divisions as (
    select * from {{ ref('divisions') }}
),

paired as (
    select
        c.region,
        c.region_code,
        dc.level as region_level,
        p.region as parent_region,
        p.region_code as parent_region_code,
        dp.level as parent_level,
        c.metric_key,
        c.measure,
        c.year,
        c.target_value,
        c.target_value_high,
        c.target_modifier,
        c.target_base_unit,
        p.target_value as parent_target_value,
        p.target_value_high as parent_target_value_high,
        p.target_modifier as parent_target_modifier,
        p.target_base_unit as parent_target_base_unit,
        c.target_point - p.target_point as difference_pct_points,
        c.target_from_work_report and p.target_from_work_report as both_from_work_reports,
        c.target_doc_id,
        p.target_doc_id as parent_target_doc_id,
        c.target_evidence,
        p.target_evidence as parent_target_evidence
    from board as c
    inner join board as p
        on p.region_code = c.parent_region_code
        and p.metric_key = c.metric_key
        and p.measure = c.measure
        and p.year = c.year
    left join divisions as dc
        on dc.code = c.region_code
    left join divisions as dp
        on dp.code = p.region_code
),

final as (
    select
        region,
        region_code,
        region_level,
        parent_region,
        parent_region_code,
        parent_level,
        metric_key,
        measure,
        year,
        target_value,
        target_value_high,
        target_modifier,
        target_base_unit,
        parent_target_value,
        parent_target_value_high,
        parent_target_modifier,
        parent_target_base_unit,
        difference_pct_points,
        difference_pct_points > 0 as is_above_parent,
        both_from_work_reports,
        target_doc_id,
        parent_target_doc_id,
        target_evidence,
        parent_target_evidence
    from paired
)

select * from final
