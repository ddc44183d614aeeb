-- every policy phrase, official and place row belongs to a document
select
    m.dataset,
    m.doc_id
from (
    select 'policy_phrases' as dataset, doc_id from policy_phrases
    union all
    select 'officials', doc_id from officials
    union all
    select 'places', doc_id from places
    union all
    select 'plan_indicators', doc_id from plan_indicators
    union all
    select 'keywords', doc_id from keywords
) as m
left join documents as d using (doc_id)
where d.doc_id is null
