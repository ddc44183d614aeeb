-- divisions: the national gazetteer (tasks/resources/divisions.tsv, docs/gazetteer.md) as a table.
-- grain: one row per division code; key: code.
-- A former name (台州地区, until 1994) carries the code of the unit it became: the row in use today
-- (valid_to empty) names the code, so a code has one name, one level and one parent.
-- Every name a code has had is kept in all_paths, so a document of 1990 naming 台州地区 still matches it.
with

gazetteer as (
    select
        code,
        level,
        nullif(parent_code, '') as parent_code,
        name,
        path,
        nullif(valid_to, '') as valid_to,
        nullif(valid_from, '') as valid_from
    from read_csv(
        '{{ var('resources') }}/divisions.tsv',
        delim = '\t',
        header = true,
        comment = '#',
        all_varchar = true
    )
),

ranked as (
    select
        *,
        row_number() over (
            partition by code
            order by valid_to is null desc, valid_to desc, valid_from desc nulls last, path
        ) as name_rank
    from gazetteer
),

all_paths as (
    select
        code,
        list(distinct path order by path) as all_paths
    from gazetteer
    group by code
),

final as (
    select
        r.code,
        r.level,
        r.parent_code,
        r.name,
        r.path,
        p.all_paths
    from ranked as r
    inner join all_paths as p using (code)
    where r.name_rank = 1
)

select * from final
