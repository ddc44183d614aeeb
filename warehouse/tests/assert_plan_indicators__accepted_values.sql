-- attribute is 预期性 or 约束性 (or missing); years are plausible and the target follows the baseline
select
    doc_id,
    para_id,
    row_no,
    indicator,
    attribute,
    baseline_year,
    target_year,
    actual_year
from plan_indicators
where (attribute is not null and attribute not in ('预期性', '约束性'))
   or (target_year is not null and target_year not between 1949 and 2100)
   or (baseline_year is not null and target_year is not null and baseline_year >= target_year)
   or indicator is null
