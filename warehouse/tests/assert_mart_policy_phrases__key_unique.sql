-- (phrase, region, year) identifies one row; a phrase is never first seen after a year it is used in
select
    phrase,
    region,
    year,
    count(*) as n
from mart_policy_phrases
group by phrase, region, year
having count(*) > 1
    or bool_or("count" < 1)
    or bool_or(first_seen_year > year)
    or bool_or(first_seen_anywhere_year > first_seen_year)
