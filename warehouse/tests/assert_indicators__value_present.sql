-- every indicator has a value and its value in base units,
-- except a target the text says is not set (modifier not_set: '不设具体增长目标'), which has none
-- (implausible values -- a growth of thousands of percent, a share above 100, a year before 1949 --
-- are not invariants: tasks/quality.py flags them in quality_flags and the marts leave them out)
select
    indicator_id,
    metric_key,
    measure,
    value,
    unit,
    value_base
from indicators
where (
        value is null
        or value_base is null
    )
    and modifier is distinct from 'not_set'
