-- level is one of the gazetteer levels and counts are positive
select
    doc_id,
    place,
    level,
    "count"
from places
where level is null
   or level not in ('province', 'city', 'district_county', 'town_street')
   or "count" < 1
