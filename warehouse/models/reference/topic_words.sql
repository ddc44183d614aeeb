-- topic_words: the topic dictionaries, one file per topic under tasks/resources/topics/ (<topic>.txt).
-- grain: one row per topic and word; key: (topic, word).
-- A file is a header of '#' lines stating the topic's source or rationale, then one word per line;
-- a user adds a topic by adding a file. A word listed twice in a file counts once.
with

lines as (
    select
        regexp_extract(filename, '([^/\\]+)\.txt$', 1) as topic,
        trim(word) as word
    from read_csv(
        '{{ var('resources') }}/topics/*.txt',
        columns = {'word': 'VARCHAR'},
        delim = '\t',
        header = false,
        comment = '#',
        quote = '',
        filename = true
    )
),

final as (
    select distinct
        topic,
        word
    from lines
    where word is not null
      and word <> ''
)

select * from final
