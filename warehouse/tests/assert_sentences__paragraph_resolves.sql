-- every sentence lies inside an existing kept paragraph
select
    s.doc_id,
    s.para_id,
    s.sent_id,
    s.char_start,
    s.char_end
from {{ ref('stg_sentences') }} as s
left join {{ ref('stg_paragraphs') }} as p
    on p.doc_id = s.doc_id
    and p.para_id = s.para_id
where p.doc_id is null
   or p.is_duplicate
   or s.char_start < 0
   or s.char_end > p.n_chars
   or s.char_start >= s.char_end
