-- one row per document, and the paragraphs the mart counts are the ones documents.n_paragraphs says
-- the document has (the paragraphs dataset and the documents dataset agree). The mart's own
-- arithmetic (kept + dropped = total, ratios in [0, 1]) follows from how it is built and is not tested.
with

documents as (
    select * from {{ ref('stg_documents') }}
),

mart_documents as (
    select * from {{ ref('mart_documents') }}
),

rows_per_document as (
    select
        d.doc_id,
        d.n_paragraphs,
        count(m.doc_id) as n_mart_rows,
        any_value(m.paragraphs_total) as paragraphs_total
    from documents as d
    left join mart_documents as m using (doc_id)
    group by d.doc_id, d.n_paragraphs
),

final as (
    select *
    from rows_per_document
    where n_mart_rows <> 1
       or paragraphs_total is distinct from n_paragraphs
)

select * from final
