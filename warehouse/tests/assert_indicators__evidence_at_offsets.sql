-- every indicator's evidence is its paragraph's text between char_start and char_end (0-based, end exclusive),
-- and its value_text occurs inside the evidence
select
    i.indicator_id,
    i.doc_id,
    i.para_id,
    i.char_start,
    i.char_end,
    i.evidence,
    substr(p.text, i.char_start + 1, i.char_end - i.char_start) as text_at_offsets
from {{ ref('stg_indicators') }} as i
inner join {{ ref('stg_paragraphs') }} as p
    on p.doc_id = i.doc_id
    and p.para_id = i.para_id
where i.evidence is null
   or i.char_start is null
   or i.char_end is null
   or substr(p.text, i.char_start + 1, i.char_end - i.char_start) is distinct from i.evidence
   or (i.value_text is not null and not contains(i.evidence, i.value_text))
