-- mart_topic_intensity: how much of a text's words belong to each topic dictionary, as an index
-- (陈诗一 & 陈登科 2018: environment words of government work reports as environmental governance).
-- grain: one row per unit and topic; key: (scope, unit_id, topic).
--   scope 'document': a non-duplicate document with tokens (unit_id = doc_id);
--   scope 'region_year': the non-duplicate documents of one region and year (unit_id = 'region year').
-- A topic is a file of tasks/resources/topics/ (model topic_words). A topic word counts where a token of
-- the tokens dataset equals it, or where up to four consecutive tokens of one sentence spell it (jieba
-- cuts 大数据 into 大 + 数据): whole tokens only, so segmentation decides what a word is (开放 never counts
-- inside the token 开放式). Where matches of one topic overlap, the longest wins, then the leftmost
-- (生态 + 环境 + 保护 is 生态环境 once, not also 生态 or 环境保护). n_tokens counts the unit's words:
-- tokens of kept paragraphs (tokens holds no others) except punctuation (pos 'x').
-- Every unit has a row for every topic: a topic without words in it has 0, not a missing row, so a
-- series over years shows the zeros.
with

-- not materialized: each use reads only its columns (and rows) of the 20M-row table
tokens as not materialized (
    select
        doc_id,
        para_id,
        sent_id,
        token_idx,
        token,
        pos
    from {{ ref('stg_tokens') }}
),

topic_words as (
    select * from {{ ref('topic_words') }}
),

topics as (
    select distinct topic from topic_words
),

doc_tokens as (
    select
        doc_id,
        count(*) as n_tokens
    from tokens
    where pos is distinct from 'x'
    group by doc_id
),

-- the pieces of topic words (every substring, the empty one too, as contains() has it): only a token
-- equal to one can start or continue a match. A few thousand strings, against which the tokens are
-- filtered by hash, rather than each distinct token tested against each word.
candidate_tokens as (
    select distinct substr(w.word, p.start, p.len) as token
    from topic_words as w
    cross join lateral (
        select
            s.start,
            l.len
        from range(1, length(w.word) + 1) as s(start)
        cross join range(0, length(w.word) - s.start + 2) as l(len)
    ) as p
),

-- each candidate token with the next three of its sentence, while they follow it without a gap:
-- the spellings of one to four consecutive tokens
token_runs as (
    select
        doc_id,
        para_id,
        sent_id,
        token_idx,
        token as run_1,
        case when lead(token_idx, 1) over sentence = token_idx + 1
            then token || lead(token, 1) over sentence end as run_2,
        case when lead(token_idx, 2) over sentence = token_idx + 2
            then token || lead(token, 1) over sentence || lead(token, 2) over sentence end as run_3,
        case when lead(token_idx, 3) over sentence = token_idx + 3
            then token || lead(token, 1) over sentence || lead(token, 2) over sentence || lead(token, 3) over sentence
        end as run_4
    from tokens
    semi join candidate_tokens using (token)
    window sentence as (partition by doc_id, para_id, sent_id order by token_idx)
),

matches as (
    select r.doc_id, r.para_id, r.sent_id, r.token_idx, n.n_tokens, w.topic, w.word
    from token_runs as r
    cross join (values (1), (2), (3), (4)) as n(n_tokens)
    inner join topic_words as w
        on w.word = case n.n_tokens when 1 then r.run_1 when 2 then r.run_2 when 3 then r.run_3 else r.run_4 end
),

-- a match inside or across a longer one of the same topic, or across an equally long one starting
-- earlier, gives way to it
kept_matches as (
    select m.*
    from matches as m
    anti join matches as o
        on o.doc_id = m.doc_id
        and o.para_id = m.para_id
        and o.sent_id = m.sent_id
        and o.topic = m.topic
        and o.token_idx < m.token_idx + m.n_tokens
        and m.token_idx < o.token_idx + o.n_tokens
        and (o.n_tokens > m.n_tokens or (o.n_tokens = m.n_tokens and o.token_idx < m.token_idx))
),

doc_word_counts as (
    select
        doc_id,
        topic,
        word,
        count(*) as n
    from kept_matches
    group by all
),

-- each document belongs to its own unit and to its region-year (when it has a region and a year)
doc_units as (
    select * from {{ ref('int_document_units') }}
),

units as (
    select
        u.scope,
        u.unit_id,
        any_value(u.unit_doc_id) as doc_id,
        any_value(u.region) as region,
        -- documents of one region name the same code, or some none
        max(u.region_code) as region_code,
        any_value(u.year) as year,
        count(*) as n_documents,
        sum(k.n_tokens) as n_tokens
    from doc_units as u
    inner join doc_tokens as k using (doc_id)
    group by u.scope, u.unit_id
),

unit_word_counts as (
    select
        u.scope,
        u.unit_id,
        c.topic,
        c.word,
        sum(c.n) as n
    from doc_units as u
    inner join doc_word_counts as c using (doc_id)
    group by all
),

unit_topics as (
    select
        scope,
        unit_id,
        topic,
        sum(n) as n_topic_words,
        count(*) as n_distinct_words,
        -- the five words contributing most, as '生态 12、污染 9'
        string_agg(word || ' ' || n, '、' order by n desc, word) filter (where word_rank <= 5) as top_words
    from (
        select
            *,
            row_number() over (partition by scope, unit_id, topic order by n desc, word) as word_rank
        from unit_word_counts
    )
    group by all
),

final as (
    select
        u.scope,
        u.unit_id,
        u.doc_id,
        u.region,
        u.region_code,
        u.year,
        t.topic,
        cast(coalesce(c.n_topic_words, 0) as bigint) as n_topic_words,
        cast(u.n_tokens as bigint) as n_tokens,
        coalesce(c.n_topic_words, 0) * 10000.0 / u.n_tokens as per_10k_tokens,
        cast(coalesce(c.n_distinct_words, 0) as bigint) as n_distinct_words,
        c.top_words,
        cast(u.n_documents as bigint) as n_documents
    from units as u
    cross join topics as t
    left join unit_topics as c
        on c.scope = u.scope
        and c.unit_id = u.unit_id
        and c.topic = t.topic
)

select * from final
