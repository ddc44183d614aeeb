-- (region, year, term) identifies one row; frequencies are positive and consistent with the counts
select
    region,
    year,
    term,
    count(*) as n
from mart_keyword_trends
group by region, year, term
having count(*) > 1
    or bool_or("count" < 1)
    or bool_or(kept_chars < 1)
    or bool_or(abs(per_10k_chars - "count" * 10000.0 / kept_chars) > 1e-9)
