-- a range has a high end above its value, and only a range has one;
-- a target the text says is not set (modifier not_set: '不设具体增长目标') has no value
select
    indicator_id,
    modifier,
    value,
    value_high
from {{ ref('stg_indicators') }}
where coalesce(modifier = 'range', false) is distinct from (value_high is not null)
   or value_high <= value
   or (modifier = 'not_set' and value is not null)
