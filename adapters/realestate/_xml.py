"""The registry's XML messages, built with ElementTree and read with defusedxml.

The registry answers in XML only (``GET /docs`` on the registry describes it)::

    <QueryRequest><Subject idNumber=".." name=".." kind="PERSON"/>...</QueryRequest>
    <QueryResponse registry="350600">
      <Result idNumber="..">
        <Property certificate=".." ownerId=".." ownerName=".." address=".." area="89.50"
                  usage="住宅">
          <Mortgage creditor=".." amount=".." registeredOn="2021-05-01"/>
          <Seal court=".." caseNumber=".." rank="first|waiting" sealedOn=".." expiresOn=".."/>
        </Property>
      </Result>
    </QueryResponse>
    <Order requestId=".." action="SEAL" caseNumber=".." court=".." ...>
      <Subject .../><Details type="object"><Field name="certificate">..</Field></Details>
    </Order>
    <OrderReceipt reference=".." status="received"/>
    <OrderStatus reference=".." status="completed" ...>
      <Outcome>..</Outcome><Result type="object">..</Result>
    </OrderStatus>

Free-form JSON (order details, order results) travels as typed elements:
``type`` is one of object / array / string / number / boolean / null (string
when absent); object members are ``<Field name="..">``, array members ``<Item>``.
Parsing never trusts the document: defusedxml refuses entities and DTD tricks,
and every missing or malformed attribute raises ``ValueError``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from adapters.sdk.records import (
    AssistanceOrder,
    DispatchReceipt,
    MatchKind,
    Mortgage,
    OrderProgress,
    RealEstateHolding,
    Seal,
    Subject,
    match_kind,
)

XML_CONTENT_TYPE = "application/xml; charset=utf-8"


def to_bytes(root: ET.Element) -> bytes:
    """Serialize with an explicit UTF-8 declaration so Chinese text survives any proxy."""
    serialized: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return serialized


def parse(content: bytes, expected: str) -> ET.Element:
    """Parse an answer safely and check its root element is ``expected``."""
    try:
        root: ET.Element = fromstring(content)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise ValueError(f"malformed XML ({type(exc).__name__})") from exc
    if root.tag != expected:
        raise ValueError(f"expected <{expected}>, got <{root.tag}>")
    return root


def error_text(content: bytes) -> str:
    """The registry's ``<Error code="..">`` code, for messages (never its free text)."""
    try:
        root = parse(content, "Error")
    except ValueError:
        return "unreadable error"
    return root.get("code", "unknown error")


# -- typed JSON values ----------------------------------------------------------------------


def encode_value(element: ET.Element, value: Any) -> ET.Element:
    """Write a JSON-like ``value`` into ``element`` (see the module docstring)."""
    if isinstance(value, dict):
        element.set("type", "object")
        for key, item in value.items():
            encode_value(ET.SubElement(element, "Field", name=str(key)), item)
    elif isinstance(value, list | tuple):
        element.set("type", "array")
        for item in value:
            encode_value(ET.SubElement(element, "Item"), item)
    elif value is None:
        element.set("type", "null")
    elif isinstance(value, bool):  # before int: bool is an int
        element.set("type", "boolean")
        element.text = "true" if value else "false"
    elif isinstance(value, int | float | Decimal):
        element.set("type", "number")
        element.text = str(value)
    else:
        element.text = str(value)
    return element


def decode_value(element: ET.Element) -> Any:
    kind = element.get("type", "string")
    if kind == "object":
        return {child.get("name", ""): decode_value(child) for child in element}
    if kind == "array":
        return [decode_value(child) for child in element]
    if kind == "null":
        return None
    if kind == "boolean":
        return element.text == "true"
    if kind == "number":
        text = (element.text or "").strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            # JSON numbers: results carry money as strings, so a float here is a measure.
            return float(text)
        except ValueError as exc:
            raise ValueError("malformed number") from exc
    return element.text or ""


# -- reads -------------------------------------------------------------------------------------


def query_request(subjects: Sequence[Subject]) -> bytes:
    root = ET.Element("QueryRequest")
    for subject in subjects:
        ET.SubElement(
            root, "Subject", idNumber=subject.id_number, name=subject.name, kind=subject.kind.value
        )
    return to_bytes(root)


def _required(element: ET.Element, name: str) -> str:
    value = element.get(name)
    if value is None:
        raise ValueError(f"<{element.tag}> lacks {name}")
    return value


def _date(element: ET.Element, name: str) -> date | None:
    value = element.get(name)
    return date.fromisoformat(value) if value else None


def _decimal(text: str | None) -> Decimal | None:
    if text is None or text == "":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError("malformed decimal") from exc
    if not value.is_finite():
        raise ValueError("malformed decimal")
    return value


def _holding(prop: ET.Element, registry: str, matched_by: MatchKind) -> RealEstateHolding:
    area = _decimal(_required(prop, "area"))
    return RealEstateHolding(
        certificate_number=_required(prop, "certificate"),
        address=prop.get("address", ""),
        area_m2=area if area is not None else Decimal("0"),
        usage=prop.get("usage", ""),
        owner_id=prop.get("ownerId") or None,
        owner_name=prop.get("ownerName", ""),
        matched_by=matched_by,
        registry=registry,
        mortgages=tuple(
            Mortgage(
                creditor=_required(m, "creditor"),
                amount=_decimal(m.get("amount")),
                registered_on=_date(m, "registeredOn"),
            )
            for m in prop.iterfind("Mortgage")
        ),
        seals=tuple(
            Seal(
                court=_required(s, "court"),
                case_number=_required(s, "caseNumber"),
                rank=_required(s, "rank").upper(),
                sealed_on=_date(s, "sealedOn"),
                expires_on=_date(s, "expiresOn"),
            )
            for s in prop.iterfind("Seal")
        ),
    )


def parse_query_response(
    content: bytes, subjects: Sequence[Subject], registry: str
) -> dict[str, list[RealEstateHolding]]:
    """One list per subject; other owners' records dropped, owner-less ones NAME_ONLY."""
    root = parse(content, "QueryResponse")
    by_id = {subject.id_number: subject for subject in subjects}
    answer: dict[str, list[RealEstateHolding]] = {s.id_number: [] for s in subjects}
    for result in root.iterfind("Result"):
        subject = by_id.get(_required(result, "idNumber"))
        if subject is None:  # an answer about someone we did not ask for: not ours to show
            continue
        seen = {h.certificate_number for h in answer[subject.id_number]}
        for prop in result.iterfind("Property"):
            kind = match_kind(subject, prop.get("ownerId") or None, prop.get("ownerName"))
            if kind is None:
                continue
            holding = _holding(prop, registry, kind)
            if holding.certificate_number not in seen:
                seen.add(holding.certificate_number)
                answer[subject.id_number].append(holding)
    return answer


# -- orders ----------------------------------------------------------------------------------


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    at = datetime.fromisoformat(value)
    # A registry clock without an offset is read as UTC rather than as local time.
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def order_request(order: AssistanceOrder) -> bytes:
    attrs = {
        "requestId": order.request_id,
        "action": order.action,
        "caseNumber": order.case_number,
        "court": order.court,
        "documentNumber": order.document_number,
        "callbackUrl": order.callback_url,
        "dueAt": _iso(order.due_at),
    }
    root = ET.Element("Order", {k: v for k, v in attrs.items() if v is not None})
    subject = order.subject
    ET.SubElement(
        root, "Subject", idNumber=subject.id_number, name=subject.name, kind=subject.kind.value
    )
    encode_value(ET.SubElement(root, "Details"), dict(order.details))
    return to_bytes(root)


def parse_receipt(content: bytes) -> DispatchReceipt:
    root = parse(content, "OrderReceipt")
    return DispatchReceipt(
        agency_ref=_required(root, "reference"), status=root.get("status", "received").upper()
    )


def parse_order_status(content: bytes) -> OrderProgress:
    root = parse(content, "OrderStatus")
    result_element = root.find("Result")
    result = decode_value(result_element) if result_element is not None else None
    outcome = root.findtext("Outcome")
    updated = root.get("updatedAt")
    return OrderProgress(
        agency_ref=_required(root, "reference"),
        status=_required(root, "status").upper(),
        outcome=outcome or None,
        result=result if isinstance(result, dict) else None,
        at=_instant(updated),
        request_id=root.get("requestId"),
        idempotency_key=root.get("idempotencyKey"),
    )


def urge_request(note: str | None) -> bytes:
    root = ET.Element("Urge")
    if note:
        root.text = note
    return to_bytes(root)
