"""Every string argument, input field and variable is checked for control characters
before anything runs (hub/hygiene.py); a bad one is ``BAD_USER_INPUT`` naming it.

The literals of a query are checked once per query text (the walk is cached
like parsing); variables, which change per request, are walked each time —
a few microseconds for what a request carries.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from graphql import (
    ArgumentNode,
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    visit,
)
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

from hub.errors import BadUserInput
from hub.hygiene import bad_text, find_bad


class _Uses(Visitor):
    """Bad literals, and the argument or input field each variable is used for."""

    def __init__(self) -> None:
        super().__init__()
        self.bad: str | None = None
        self.names: dict[str, str] = {}

    def enter_argument(self, node: ArgumentNode, *_: object) -> None:
        for name, value in _values(node.name.value, node.value):
            if isinstance(value, StringValueNode):
                if self.bad is None and bad_text(name, value.value):
                    self.bad = name
            elif isinstance(value, VariableNode):
                self.names.setdefault(value.name.value, name)


def _values(name: str, node: ValueNode) -> Iterator[tuple[str, ValueNode]]:
    if isinstance(node, ObjectValueNode):
        for field in node.fields:
            yield from _values(field.name.value, field.value)
    elif isinstance(node, ListValueNode):
        for item in node.values:
            yield from _values(name, item)
    else:
        yield name, node


_SCANS: OrderedDict[str, tuple[str | None, dict[str, str]]] = OrderedDict()
SCAN_CACHE = 256  # distinct query texts remembered, as for parsing


def _scan(query: str | None, document: DocumentNode) -> tuple[str | None, dict[str, str]]:
    found = _SCANS.get(query) if query else None
    if found is None:
        uses = _Uses()
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                visit(definition, uses)
        found = (uses.bad, uses.names)
        if query:
            _SCANS[query] = found
        if len(_SCANS) > SCAN_CACHE:
            _SCANS.popitem(last=False)
    return found


def _refuse(field: str) -> ExecutionResult:
    error = BadUserInput(field, f"{field} contains a control character")
    return ExecutionResult(data=None, errors=[GraphQLError(error.message, original_error=error)])


class InputHygiene(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        document = ctx.graphql_document
        if document is not None and not ctx.result:
            bad, names = _scan(ctx.query, document)
            if bad is None:
                for variable, value in (ctx.variables or {}).items():
                    bad = find_bad(names.get(variable, variable), value)
                    if bad is not None:
                        break
            if bad is not None:
                ctx.result = _refuse(bad)
        yield
