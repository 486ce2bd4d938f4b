"""The one safe expression language of the revenue model.

Every criterion and condition in revops.yaml (stage exit criteria, scoring rules,
routing conditions, hygiene rules, metric filters ...) is written in it::

    lead_score > 80 and company_size between 200 and 1000
    days_since(last_activity_at) > 14 and country in ('US', 'CA')
    lower(email) like '%@gmail.com' or amount is null

``parse`` reads it once (sqlglot parses, a whitelist admits nodes, nothing is ever
executed as Python); the resulting ``Expression`` is checked against a table's fields,
evaluated per record, or compiled for whole tables to Ibis or SQL text, all with the
same SQL null logic.
"""

from revops.errors import ExpressionError
from revops.store.schema import FieldType

from .checker import ExpressionIssue
from .expression import Expression, parse
from .functions import FUNCTIONS, FunctionSpec

__all__ = [
    "FUNCTIONS",
    "Expression",
    "ExpressionError",
    "ExpressionIssue",
    "FieldType",
    "FunctionSpec",
    "parse",
]
