select doc_id, doc_type
from documents
where doc_type not in ('gov_work_report', 'party_congress', 'five_year_plan', 'news', 'other')
   or doc_type is null
