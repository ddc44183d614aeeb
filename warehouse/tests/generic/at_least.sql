-- a lower bound on a column (counts and ranks start at 1)
{% test at_least(model, column_name, value) %}
select *
from {{ model }}
where {{ column_name }} < {{ value }}
{% endtest %}
