"""The contract's minimum graph (CONTRACT §4) is all there, under its exact names."""

from __future__ import annotations

import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType

from schema import build_schema

FIELDS: dict[str, set[str]] = {
    "Query": {"case", "cases", "dossier", "assistanceRequest", "assistanceRequests", "agencies", "me"},
    "Mutation": {
        "fileCase", "updateCaseStatus", "submitPropertyClue", "createAssistanceRequest",
        "acknowledgeAssistanceRequest", "answerAssistanceRequest", "rejectAssistanceRequest",
        "urgeAssistanceRequest", "evaluateAssistanceRequest", "cancelAssistanceRequest",
    },
    "Case": {
        "number", "court", "filedOn", "deadline", "cause", "livelihood", "status", "amountClaimed",
        "amountRecovered", "parties", "clues", "assistanceRequests", "events",
    },
    "Party": {"id", "role", "kind", "name", "idNumber", "dossier"},
    "Dossier": {"subject", "realEstate", "vehicles", "whereabouts", "tax", "employment", "wageArrears", "credit", "sources"},
    "RealEstateHolding": {"certificateNumber", "address", "areaM2", "usage", "matchedBy", "mortgages", "seals", "agency"},
    "Vehicle": {"plate", "model", "sightings", "agency"},
    "Whereabouts": {"householdAddress", "residence", "travel"},
    "TaxProfile": {"records", "arrears"},
    "EmploymentRecord": {"employerName", "employerCode", "monthlyBase", "since", "until"},
    "WageArrearsCase": {"employerCode", "workers", "amount", "status"},
    "CreditStatus": {"listed", "entries"},
    "SourceStatus": {"agency", "state", "latencyMs", "attempts", "fetchedAt", "message"},
    "AssistanceRequest": {
        "id", "case", "subject", "agency", "action", "status", "documentNumber", "details", "createdAt",
        "dueAt", "overdue", "answeredAt", "answer", "urgeCount", "evaluation", "events",
    },
}  # fmt: skip

ARGUMENTS: dict[tuple[str, str], set[str]] = {
    ("Query", "case"): {"number"},
    ("Query", "cases"): {"filter", "first", "after"},
    ("Query", "dossier"): {"caseNumber", "idNumber"},
    ("Query", "assistanceRequest"): {"id"},
    ("Query", "assistanceRequests"): {"filter", "first", "after"},
    ("Mutation", "fileCase"): {"input"},
    ("Mutation", "updateCaseStatus"): {"number", "status", "note", "effectiveOn"},
    ("Mutation", "submitPropertyClue"): {"input"},
    ("Mutation", "createAssistanceRequest"): {"input"},
    ("Mutation", "acknowledgeAssistanceRequest"): {"id"},
    ("Mutation", "answerAssistanceRequest"): {"input"},
    ("Mutation", "rejectAssistanceRequest"): {"id", "reason"},
    ("Mutation", "urgeAssistanceRequest"): {"id", "note"},
    ("Mutation", "evaluateAssistanceRequest"): {"id", "rating", "comment"},
    ("Mutation", "cancelAssistanceRequest"): {"id", "reason"},
}

INPUTS: dict[str, set[str]] = {
    "FileCaseInput": {"number", "filedOn", "cause", "livelihood", "amountClaimed", "parties"},
    "PartyInput": {"role", "kind", "name", "idNumber"},
    "CreateAssistanceRequestInput": {
        "caseNumber", "subjectIdNumber", "agencyId", "action", "documentNumber", "details", "idempotencyKey",
    },
    "AnswerAssistanceRequestInput": {"id", "outcome", "result"},
}  # fmt: skip

ENUMS: dict[str, set[str]] = {
    "PartyRole": {"APPLICANT", "RESPONDENT"},
    "PartyKind": {"PERSON", "ORGANIZATION"},
    "CaseStatus": {"OPEN", "SETTLED", "CONCLUDED", "TERMINATED", "ENDED"},
    "LivelihoodKind": {"ALIMONY", "CHILD_SUPPORT", "PENSION", "TRAFFIC_INJURY", "WAGES"},
    "MatchKind": {"ID_NUMBER", "NAME_ONLY"},
    "SourceState": {"OK", "ERROR", "TIMEOUT", "CIRCUIT_OPEN", "STALE", "NOT_APPLICABLE"},
    "AssistanceAction": {
        "QUERY", "SEAL", "UNSEAL", "FREEZE", "LOCATE_PERSON", "CONTROL_VEHICLE", "DETAIN",
        "LIST_DISHONEST", "RESTRICT_CONSUMPTION", "DELIST", "TAX_ASSIST", "WAGE_ASSIST",
        # v2 (§7.1)
        "UNFREEZE", "DEDUCT", "RENEW_SEAL", "TRANSFER", "WATCH", "LIFT_RESTRICTION",
    },
    "AssistanceStatus": {"PENDING", "DISPATCHED", "ACKNOWLEDGED", "COMPLETED", "REJECTED", "FAILED", "CANCELLED"},
}  # fmt: skip

SCHEMA = build_schema()._schema


@pytest.mark.parametrize("type_name", sorted(FIELDS))
def test_type_has_contract_fields(type_name: str) -> None:
    graphql_type = SCHEMA.get_type(type_name)
    assert isinstance(graphql_type, GraphQLObjectType), type_name
    missing = FIELDS[type_name] - set(graphql_type.fields)
    assert not missing, f"{type_name} lacks {sorted(missing)}"


@pytest.mark.parametrize(("type_name", "field"), sorted(ARGUMENTS))
def test_field_has_contract_arguments(type_name: str, field: str) -> None:
    graphql_type = SCHEMA.get_type(type_name)
    assert isinstance(graphql_type, GraphQLObjectType)
    missing = ARGUMENTS[(type_name, field)] - set(graphql_type.fields[field].args)
    assert not missing, f"{type_name}.{field} lacks arguments {sorted(missing)}"


@pytest.mark.parametrize("type_name", sorted(INPUTS))
def test_input_has_contract_fields(type_name: str) -> None:
    graphql_type = SCHEMA.get_type(type_name)
    assert isinstance(graphql_type, GraphQLInputObjectType), type_name
    assert INPUTS[type_name] <= set(graphql_type.fields)


@pytest.mark.parametrize("type_name", sorted(ENUMS))
def test_enum_has_contract_values(type_name: str) -> None:
    graphql_type = SCHEMA.get_type(type_name)
    assert isinstance(graphql_type, GraphQLEnumType), type_name
    assert set(graphql_type.values) == ENUMS[type_name]


def test_cases_first_defaults_to_20() -> None:
    query = SCHEMA.query_type
    assert query is not None
    assert query.fields["cases"].args["first"].default_value == 20
    assert query.fields["assistanceRequests"].args["first"].default_value == 20
