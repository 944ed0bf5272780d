"""What a query may cost, bounded before any resolver runs.

Depth, aliases and tokens bound a query's shape (``hub.hardening``); its cost
bounds its work: ``cases(first: 500) { ... parties { dossier { ... } } }`` is
short and shallow and still asks every agency about a thousand people.

Each field costs its weight (1 for a field returning an object, 0 for a
scalar, more where the work is: ``DEFAULT_WEIGHTS``, plus
``settings.cost_weights``) times the number of times it runs: the product of
the list sizes above it. A list's size is its ``first`` argument (a literal, a
variable, or the argument's default) or else ``settings.cost_list_size``; the
``edges`` and ``nodes`` of a connection are already counted by its ``first``.
A query costing more than ``settings.max_cost`` runs nothing and is
``BAD_USER_INPUT`` (field ``query``, ``extensions.cost`` and
``extensions.maxCost``).

The walk over the query is done once per query text and operation (a small
"plan" of weights and multipliers, cached); each request only evaluates the
plan with its variables.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
    is_list_type,
)
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from hub.settings import Settings

# A dossier asks every agency; a mutation writes and audits.
DEFAULT_WEIGHTS: dict[str, int] = {
    "Query.dossier": 25,
    "Party.dossier": 25,
    "Mutation.*": 5,
}
PLAN_CACHE = 256  # distinct (query text, operation) pairs remembered


@dataclass
class Node:
    """One field of the plan: its own weight, and how many times its children run."""

    weight: int
    size: int | str | None = None  # a constant, a variable's name, or None (runs once)
    default: int = 1  # when ``size`` names a variable the request leaves unset
    children: list[Node] = field(default_factory=list)

    def cost(self, variables: Mapping[str, Any], times: int = 1) -> int:
        total = self.weight * times
        if not self.children:
            return total
        inner = times * self._size(variables)
        return total + sum(child.cost(variables, inner) for child in self.children)

    def _size(self, variables: Mapping[str, Any]) -> int:
        if self.size is None:
            return 1
        if isinstance(self.size, int):
            return self.size
        value = variables.get(self.size, self.default)
        return max(value, 0) if isinstance(value, int) else self.default


class CostPlanner:
    def __init__(self, schema: GraphQLSchema, settings: Settings) -> None:
        self.schema = schema
        self.weights = {**DEFAULT_WEIGHTS, **settings.cost_weights}
        self.list_size = settings.cost_list_size
        self._plans: OrderedDict[tuple[str, str | None], Node] = OrderedDict()

    def plan(self, query: str, document: Any, operation_name: str | None) -> Node | None:
        key = (query, operation_name)
        plan = self._plans.get(key)
        if plan is not None:
            self._plans.move_to_end(key)
            return plan
        operation = _operation(document, operation_name)
        if operation is None:
            return None
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return None
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        plan = Node(0, children=list(self._fields(operation.selection_set, root, fragments)))
        self._plans[key] = plan
        if len(self._plans) > PLAN_CACHE:
            self._plans.popitem(last=False)
        return plan

    def _fields(
        self,
        selection_set: SelectionSetNode | None,
        parent: Any,
        fragments: dict[str, FragmentDefinitionNode],
    ) -> Iterator[Node]:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                node = self._field(selection, parent, fragments)
                if node is not None:
                    yield node
            elif isinstance(selection, InlineFragmentNode):
                typed = selection.type_condition
                target = self.schema.get_type(typed.name.value) if typed else parent
                yield from self._fields(selection.selection_set, target, fragments)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    yield from self._fields(fragment.selection_set, target, fragments)

    def _field(
        self, node: FieldNode, parent: Any, fragments: dict[str, FragmentDefinitionNode]
    ) -> Node | None:
        name = node.name.value
        if name.startswith("__") or not isinstance(
            parent, (GraphQLObjectType, GraphQLInterfaceType)
        ):
            return None  # introspection: bounded by tokens, refused in production
        definition = parent.fields.get(name)
        if definition is None:
            return None
        named = get_named_type(definition.type)
        composite = is_composite_type(named)
        weight = self.weights.get(
            f"{parent.name}.{name}", self.weights.get(f"{parent.name}.*", 1 if composite else 0)
        )
        plan = Node(weight)
        if composite:
            plan.size, plan.default = self._size(node, definition, parent)
            plan.children = list(self._fields(node.selection_set, named, fragments))
        return plan

    def _size(
        self,
        node: FieldNode,
        definition: GraphQLField,
        parent: GraphQLObjectType | GraphQLInterfaceType,
    ) -> tuple[int | str | None, int]:
        first = definition.args.get("first")
        if first is not None:
            default = first.default_value if isinstance(first.default_value, int) else 1
            given = next((a.value for a in node.arguments or () if a.name.value == "first"), None)
            if isinstance(given, IntValueNode):
                return int(given.value), default
            if isinstance(given, VariableNode):
                return given.name.value, default
            return default, default
        of_type = definition.type.of_type if isinstance(definition.type, GraphQLNonNull) else None
        listed = is_list_type(definition.type) or isinstance(of_type, GraphQLList)
        if listed and not parent.name.endswith("Connection"):
            return self.list_size, self.list_size
        return None, 1


def _operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def query_cost(settings: Settings) -> type[SchemaExtension]:
    """A strawberry extension refusing operations over ``settings.max_cost``; one planner
    (and its cache) per schema, shared by every request."""
    planners: dict[int, CostPlanner] = {}

    class QueryCost(SchemaExtension):
        def on_execute(self) -> Iterator[None]:
            context = self.execution_context
            # the graphql-core schema strawberry built (strawberry is pinned below its next
            # minor release in pyproject.toml)
            schema = context.schema._schema
            planner = planners.get(id(schema))
            if planner is None:
                planner = planners[id(schema)] = CostPlanner(schema, settings)
            document = context.graphql_document
            plan = None
            if document is not None:
                plan = planner.plan(context.query or "", document, context.operation_name)
            if plan is not None:
                cost = plan.cost(context.variables or {})
                if cost > settings.max_cost:
                    error = GraphQLError(
                        f"this query would cost {cost}, more than the maximum {settings.max_cost}:"
                        " ask for fewer items (first) or fewer nested lists",
                        extensions={"cost": cost, "maxCost": settings.max_cost},
                    )
                    context.result = GraphQLExecutionResult(data=None, errors=[error])
            yield

    return QueryCost
