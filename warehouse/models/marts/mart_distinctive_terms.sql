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
-- Cost (10.2M unit x term rows for a 100 MB corpus): a document unit's terms are term_stats' rows as
-- they are ((doc_id, term) is its tested key), only region-years are grouped; the term string and the
-- document are joined once per term_stats row and then stand as numbers (a term, a unit), which the
-- steps over millions of rows group, join and partition by; and only the rows at or above a unit's
-- k-th best z_score are sorted, not every row of every unit.
with

doc_units as (
    select * from {{ ref('int_document_units') }}
),

-- a number per unit (any numbering: it only joins, but one numbering, so materialized)
units as materialized (
    select
        row_number() over () as unit_no,
        scope,
        unit_id,
        doc_id,
        region,
        year
    from (
        select
            scope,
            unit_id,
            any_value(unit_doc_id) as doc_id,
            any_value(region) as region,
            any_value(year) as year
        from doc_units
        group by all
    )
),

-- each non-duplicate document with the numbers of its units: its own, and its region-year's if any
documents as (
    select
        u.doc_id,
        any_value(n.unit_no) filter (where u.scope = 'document') as doc_unit_no,
        any_value(n.unit_no) filter (where u.scope <> 'document') as region_year_unit_no
    from doc_units as u
    inner join units as n using (scope, unit_id)
    group by u.doc_id
),

term_counts as not materialized (
    select
        d.doc_unit_no,
        d.region_year_unit_no,
        t.term,
        t.count
    from {{ ref('stg_term_stats') }} as t
    inner join documents as d using (doc_id)
),

corpus_terms as (
    select
        term,
        sum(count) as y_corpus
    from term_counts
    group by term
),

corpus as (
    select
        sum(y_corpus) as n_corpus,
        {{ var('prior_strength', 1000) }} as a0
    from corpus_terms
),

-- a number per term (any numbering: it only joins, but one numbering, so materialized)
prior as materialized (
    select
        row_number() over () as term_no,
        t.term,
        t.y_corpus,
        c.a0 * t.y_corpus / c.n_corpus as alpha
    from corpus_terms as t
    cross join corpus as c
),

-- each document's terms with the term's corpus count and prior, for the units of both scopes
doc_terms as materialized (
    select
        c.doc_unit_no,
        c.region_year_unit_no,
        p.term_no,
        c.count,
        p.y_corpus,
        p.alpha
    from term_counts as c
    inner join prior as p using (term)
),

-- a document unit holds one document, whose terms are one row each already
document_terms as not materialized (
    select
        doc_unit_no as unit_no,
        term_no,
        count as y_unit,
        y_corpus,
        alpha
    from doc_terms
),

region_year_terms as materialized (
    select
        region_year_unit_no as unit_no,
        term_no,
        sum(count) as y_unit,
        -- the same on every row of a term
        any_value(y_corpus) as y_corpus,
        any_value(alpha) as alpha
    from doc_terms
    where region_year_unit_no is not null
    group by region_year_unit_no, term_no
),

unit_terms as not materialized (
    select * from document_terms
    union all
    select * from region_year_terms
),

unit_totals as (
    select
        unit_no,
        sum(y_unit) as n_unit
    from unit_terms
    group by unit_no
),

-- read twice (the cut, then the ranking): computing it twice costs less than storing its 10M rows
odds as not materialized (
    select
        u.unit_no,
        u.term_no,
        u.y_unit,
        u.y_corpus - u.y_unit as y_rest,
        s.n_unit,
        c.n_corpus - s.n_unit as n_rest,
        u.alpha,
        ln((u.y_unit + u.alpha) / (s.n_unit + c.a0 - u.y_unit - u.alpha))
            - ln((u.y_corpus - u.y_unit + u.alpha) / (c.n_corpus - s.n_unit + c.a0 - (u.y_corpus - u.y_unit) - u.alpha))
            as log_odds_ratio,
        1.0 / (u.y_unit + u.alpha) + 1.0 / (u.y_corpus - u.y_unit + u.alpha) as variance
    from unit_terms as u
    inner join unit_totals as s using (unit_no)
    cross join corpus as c
    where c.n_corpus > s.n_unit
      and u.y_unit > 0
),

scored as not materialized (
    select
        *,
        log_odds_ratio / sqrt(variance) as z_score
    from odds
),

{% if var('distinctive_top_k', 100) > 0 %}
-- each unit's k-th best z_score (its lowest when it has fewer terms): a term ranked within the top k
-- scores at least that, so only these rows are sorted; ties at the cut are all kept and ranked by term
cuts as (
    select
        unit_no,
        list_min(max(z_score, {{ var('distinctive_top_k', 100) }})) as min_z_score
    from scored
    group by all
),

candidates as (
    select
        s.*,
        p.term
    from scored as s
    inner join cuts as k using (unit_no)
    inner join prior as p using (term_no)
    where s.z_score >= k.min_z_score
),
{% else %}
candidates as (
    select
        s.*,
        p.term
    from scored as s
    inner join prior as p using (term_no)
),
{% endif %}

ranked as (
    select
        *,
        row_number() over (
            partition by unit_no
            order by z_score desc, term
        ) as rank_in_unit
    from candidates
),

final as (
    select
        n.scope,
        n.unit_id,
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
        o.z_score,
        o.rank_in_unit
    from ranked as o
    inner join units as n using (unit_no)
    {% if var('distinctive_top_k', 100) > 0 %}
    where o.rank_in_unit <= {{ var('distinctive_top_k', 100) }}
    {% endif %}
)

select * from final
