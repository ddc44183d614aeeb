-- every indicator has one non-null indicator_id that no other indicator shares
select
    indicator_id,
    count(*) as n
from indicators
group by indicator_id
having indicator_id is null or count(*) > 1
