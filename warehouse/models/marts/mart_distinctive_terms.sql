-- mart_distinctive_terms: the words that set a text apart, by the weighted log-odds ratio with an
-- informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words", Political Analysis 16(4),
-- section 3.5.2), unlike tf-idf, which tops every report with 建设, 发展, 工作.
-- grain: one row per unit and content term used in it; key: (scope, unit_id, term).
--   scope 'document': one non-duplicate document (unit_id = doc_id) against every other document;
--   scope 'region_year': a region's non-duplicate documents of a year (unit_id = 'region year') against
--   every other document of the corpus (for a provincial run: one province-year against the country).
-- Counts are term_stats' content terms (stop words, numbers, punctuation, 1-character words excluded).
-- For term w, unit i (y_i occurrences of w among n_i terms) and the rest j (y_j among n_j), with the
-- corpus' counts y (of w) and n (of all terms) as prior, alpha_w = a0 * y / n, a0 = var prior_strength:
--   delta = ln((y_i + alpha_w) / (n_i + a0 - y_i - alpha_w)) - ln((y_j + alpha_w) / (n_j + a0 - y_j - alpha_w))
--   variance = 1 / (y_i + alpha_w) + 1 / (y_j + alpha_w);  z_score = delta / sqrt(variance)
-- A unit without a rest (a corpus of one unit) has no rows.
-- Only a unit's top terms are kept, var distinctive_top_k (100; 0 keeps every term): the whole table
-- would be a second term_stats (10.2M rows for a 100 MB corpus, twice the build time) that nobody
-- reads past its first hundred rows per unit.
with

documents as (
    select
        doc_id,
        region,
        year
    from {{ ref('stg_documents') }}
    where not is_duplicate
),

term_counts as (
    select
        t.doc_id,
        t.term,
        t.count
    from {{ ref('stg_term_stats') }} as t
    inner join documents as d using (doc_id)
),

doc_units as (
    select * from {{ ref('int_document_units') }}
),

unit_terms as (
    select
        u.scope,
        u.unit_id,
        c.term,
        sum(c.count) as y_unit
    from doc_units as u
    inner join term_counts as c using (doc_id)
    group by all
),

unit_totals as (
    select
        scope,
        unit_id,
        sum(y_unit) as n_unit
    from unit_terms
    group by all
),

units as (
    select
        scope,
        unit_id,
        any_value(unit_doc_id) as doc_id,
        any_value(region) as region,
        any_value(year) as year
    from doc_units
    group by all
),

corpus_terms as (
    select
        term,
        sum(count) as y_corpus
    from term_counts
    group by term
),

corpus_total as (
    select sum(y_corpus) as n_corpus from corpus_terms
),

prior as (
    select
        t.term,
        t.y_corpus,
        c.n_corpus,
        {{ var('prior_strength', 1000) }} as a0,
        {{ var('prior_strength', 1000) }} * t.y_corpus / c.n_corpus as alpha
    from corpus_terms as t
    cross join corpus_total as c
),

odds as (
    select
        u.scope,
        u.unit_id,
        u.term,
        u.y_unit,
        p.y_corpus - u.y_unit as y_rest,
        s.n_unit,
        p.n_corpus - s.n_unit as n_rest,
        p.alpha,
        ln((u.y_unit + p.alpha) / (s.n_unit + p.a0 - u.y_unit - p.alpha))
            - ln((p.y_corpus - u.y_unit + p.alpha) / (p.n_corpus - s.n_unit + p.a0 - (p.y_corpus - u.y_unit) - p.alpha))
            as log_odds_ratio,
        1.0 / (u.y_unit + p.alpha) + 1.0 / (p.y_corpus - u.y_unit + p.alpha) as variance
    from unit_terms as u
    inner join unit_totals as s using (scope, unit_id)
    inner join prior as p using (term)
    where p.n_corpus > s.n_unit
      and u.y_unit > 0
),

final as (
    select
        o.scope,
        o.unit_id,
        n.doc_id,
        n.region,
        n.year,
        o.term,
        cast(o.y_unit as bigint) as count_in_unit,
        cast(o.y_rest as bigint) as count_in_rest,
        cast(o.n_unit as bigint) as unit_total,
        cast(o.n_rest as bigint) as rest_total,
        o.alpha as prior_alpha,
        o.log_odds_ratio,
        o.log_odds_ratio / sqrt(o.variance) as z_score,
        row_number() over (
            partition by o.scope, o.unit_id
            order by o.log_odds_ratio / sqrt(o.variance) desc, o.term
        ) as rank_in_unit
    from odds as o
    inner join units as n using (scope, unit_id)
)

select * from final
{% if var('distinctive_top_k', 100) > 0 %}
where rank_in_unit <= {{ var('distinctive_top_k', 100) }}
{% endif %}
