-- (doc_id, method, rank) identifies one keyword; method is tfidf or textrank; rank starts at 1
select
    doc_id,
    method,
    rank,
    count(*) as n
from keywords
group by doc_id, method, rank
having doc_id is null
    or method is null
    or method not in ('tfidf', 'textrank')
    or rank is null
    or rank < 1
    or count(*) > 1
