-- years and dates are plausible; a duplicate document names an existing, other document
select
    d.doc_id,
    d.year,
    d.event_date,
    d.publish_date,
    d.is_duplicate,
    d.duplicate_of
from documents as d
left join documents as o
    on o.doc_id = d.duplicate_of
where (d.year is not null and d.year not between 1949 and 2100)
   or (d.event_date is not null and year(d.event_date) not between 1949 and 2100)
   or (d.publish_date is not null and year(d.publish_date) not between 1949 and 2100)
   or (d.is_duplicate and (o.doc_id is null or d.duplicate_of = d.doc_id))
   or (not d.is_duplicate and d.duplicate_of is not null)
   or d.n_chars < 0
