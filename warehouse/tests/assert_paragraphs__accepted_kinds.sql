select doc_id, para_id, kind
from paragraphs
where kind not in ('heading', 'body', 'caption', 'byline', 'table') or kind is null
