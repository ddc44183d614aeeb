-- int_document_units: the units the research marts measure, and the documents each holds.
-- grain: one row per unit and document; key: (scope, unit_id, doc_id).
--   scope 'document': every non-duplicate document is a unit of its own (unit_id = doc_id);
--   scope 'region_year': the non-duplicate documents of one region and year (unit_id = 'region year'),
--   for documents with both a region and a year.
-- One definition for mart_topic_intensity and mart_distinctive_terms, so their units always agree.
-- Ephemeral: inlined into the marts that use it, no table of its own.
{{ config(materialized='ephemeral') }}

with

documents as (
    select
        doc_id,
        region,
        region_code,
        year
    from {{ ref('stg_documents') }}
    where not is_duplicate
),

final as (
    select
        'document' as scope,
        doc_id as unit_id,
        doc_id,
        doc_id as unit_doc_id,
        region,
        region_code,
        year
    from documents
    union all
    select
        'region_year' as scope,
        region || ' ' || year as unit_id,
        doc_id,
        null as unit_doc_id,
        region,
        region_code,
        year
    from documents
    where region is not null
      and year is not null
)

select * from final
