-- (doc_id, term) identifies one term_stats row, and counts are positive
select
    doc_id,
    term,
    count(*) as n,
    min("count") as min_count
from term_stats
group by doc_id, term
having doc_id is null or term is null or count(*) > 1 or min("count") < 1
