-- phrase_type is quoted or numbered, counts are positive, (doc_id, phrase) is unique
select
    doc_id,
    phrase,
    any_value(phrase_type) as phrase_type,
    min("count") as min_count,
    count(*) as n
from policy_phrases
group by doc_id, phrase
having count(*) > 1
    or min("count") < 1
    or any_value(phrase_type) not in ('quoted', 'numbered')
    or any_value(phrase_type) is null
