-- attribute is 预期性 or 约束性 (or missing) and every row names its indicator
-- (implausible years, or a target year not after the baseline, are flagged by tasks/quality.py, not failed)
select
    doc_id,
    para_id,
    row_no,
    indicator,
    attribute
from plan_indicators
where (attribute is not null and attribute not in ('预期性', '约束性'))
   or indicator is null
