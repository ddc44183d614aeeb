-- keys: every row has a non-null value in each key column, and no two rows share the key
{% test unique_key(model, columns) %}
select
    {{ columns | join(',\n    ') }},
    count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{%- for c in columns %}
    or {{ c }} is null
{%- endfor %}
{% endtest %}
