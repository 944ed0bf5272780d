"""Mock real-estate registries (不动产登记中心): XML over HTTP, Basic auth.

Several registries share one server, each under ``/registries/{code}`` (the
codes are the ``registry`` values of the world's ``real_estate`` records, plus
any listed in an optional world key ``registries``). Like the real ones, the
search matches an owner by ID number *or* by name, so same-name owners and
owner-less records come back too: telling them apart is the hub's job.
``GET /docs`` describes the messages (``DOCS`` below).

Seals follow the registries' rules: a seal on a property with no active seal
ranks first (首封) and runs three years; otherwise it waits (轮候) with no term
of its own. Lifting the first seal promotes the earliest waiting one, whose
three years start that day; renewing (续封) extends a seal's term and keeps its
rank; a transfer (过户) after an auction moves title to the buyer and clears
the seals.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from mocks._common import MockAgency, Order, OrderOutcome, basic_ok, build_app

KIND = "realestate"
USER = "hub"
ACTIONS = frozenset({"QUERY", "SEAL", "UNSEAL", "RENEW_SEAL", "TRANSFER"})
MAX_SUBJECTS = 100
SEAL_YEARS = 3
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
XML_TYPE = "application/xml; charset=utf-8"
_KEY_SEP = "\x1f"  # idempotency keys are per registry: each is its own system

DOCS = """\
Real-estate registry interface (XML over HTTP, UTF-8)
=====================================================
Auth: HTTP Basic, user "hub", password = the shared secret.  Errors: <Error code="..">text</Error>
({code} is a registry code such as 350600; an unknown code answers 404 UNKNOWN_REGISTRY.)

POST /registries/{code}/query            body <QueryRequest> (at most 100 subjects)
  <QueryRequest><Subject idNumber="350602198003150015" name="陈某某" kind="PERSON"/></QueryRequest>
  200 <QueryResponse registry="350600">
        <Result idNumber="350602198003150015" name="陈某某">
          <Property certificate=".." ownerId=".." ownerName=".." address=".." area="118.60"
                    usage="住宅">
            <Mortgage creditor=".." amount="600000.00" registeredOn="2019-06-10"/>
            <Seal court="闽0603" caseNumber=".." rank="first|waiting" sealedOn=".." expiresOn=".."/>
          </Property>
        </Result>
      </QueryResponse>
  A property matches when ownerId equals idNumber OR ownerName equals name: same-name owners
  come back with their own ownerId, owner-less records without one. Lapsed seals are omitted.

POST /registries/{code}/orders           header Idempotency-Key (required), body <Order>
  <Order requestId=".." action="QUERY|SEAL|UNSEAL|RENEW_SEAL|TRANSFER" caseNumber=".." court=".."
         documentNumber=".." callbackUrl=".." dueAt="ISO-8601">
    <Subject idNumber=".." name=".." kind="PERSON|ORGANIZATION"/>
    <Details type="object">
      <Field name="certificate">闽(2019)漳州市不动产权第0012345号</Field>
    </Details>
  </Order>
  201 <OrderReceipt reference="RE-000001" status="received"/>  (a known key: 200, first receipt)
GET  /registries/{code}/orders/{ref}                 200 <OrderStatus> | 404 NOT_FOUND
GET  /registries/{code}/orders?idempotencyKey=K      200 <OrderStatus> | 404 NOT_FOUND
  <OrderStatus reference=".." requestId=".." idempotencyKey=".." action=".."
               status="received|acknowledged|completed|rejected" urges="0"
               createdAt=".." updatedAt="..">
    <Outcome>sealed</Outcome><Result type="object">..</Result>
  </OrderStatus>
POST /registries/{code}/orders/{ref}/urge            body <Urge>note</Urge>; 200 <UrgeReceipt>

Typed values (Details, Result): attribute type = object|array|string|number|boolean|null
(string when absent); object members <Field name="..">, array members <Item>.

Actions: QUERY → the subject's properties here (by ID number, or owner-less by name);
SEAL (details.certificate) → first (runs three years) if no active seal, else waiting (no term);
  refused when the property is registered to another ID number;
UNSEAL (details.certificate optional) → lifts this court's seal for the case; rejected if none;
  the earliest waiting seal is promoted and its three years start (the answer lists it
  under ``promoted``).
RENEW_SEAL (details.certificate) → extends this court's seal by three years, keeping its rank.
TRANSFER (details.certificate, ruling, buyer_name, buyer_id) → title to the buyer, seals cleared.
"""


# -- XML helpers -----------------------------------------------------------------------------


def _xml(root: ET.Element, status: int = 200) -> Response:
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, status_code=status, media_type=XML_TYPE)


def xml_error(status: int, message: str, code: str | None = None) -> Response:
    names = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 404: "NOT_FOUND", 429: "RATE_LIMITED"}
    element = ET.Element("Error", code=code or names.get(status, "UNAVAILABLE"))
    element.text = message
    response = _xml(element, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="registry"'
    return response


def encode_value(element: ET.Element, value: Any) -> ET.Element:
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
    elif isinstance(value, bool):
        element.set("type", "boolean")
        element.text = "true" if value else "false"
    elif isinstance(value, int | float):
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
        text = element.text or "0"
        return int(text) if text.lstrip("-").isdigit() else float(text)
    return element.text or ""


async def _parse(request: Request, tag: str) -> ET.Element | None:
    try:
        root: ET.Element = fromstring(await request.body())
    except (ET.ParseError, DefusedXmlException, ValueError):
        return None
    return root if root.tag == tag else None


# -- the world -------------------------------------------------------------------------------


def today() -> date:
    return datetime.now(CHINA).date()


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def registries(world: Mapping[str, Any]) -> set[str]:
    codes = {str(r.get("registry")) for r in world.get("real_estate", []) if r.get("registry")}
    for extra in world.get("registries", []):
        codes.add(str(extra.get("code") if isinstance(extra, dict) else extra))
    return codes


def _properties(world: Mapping[str, Any], code: str) -> list[dict[str, Any]]:
    return [r for r in world.get("real_estate", []) if str(r.get("registry")) == code]


def _active(seal: Mapping[str, Any], on: date) -> bool:
    expires = seal.get("expires_on")
    return not expires or date.fromisoformat(str(expires)) >= on


def _area(value: Any) -> str:
    try:
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    except InvalidOperation:
        return "0.00"


def _property_element(parent: ET.Element, record: Mapping[str, Any]) -> None:
    attrs = {
        "certificate": str(record.get("certificate", "")),
        "ownerId": record.get("owner_id"),
        "ownerName": record.get("owner_name"),
        "address": record.get("address"),
        "area": _area(record.get("area_m2", 0)),
        "usage": record.get("usage"),
    }
    prop = ET.SubElement(parent, "Property", {k: str(v) for k, v in attrs.items() if v})
    for m in record.get("mortgages", []):
        mortgage = {"creditor": m.get("creditor"), "amount": m.get("amount")}
        mortgage["registeredOn"] = m.get("registered_on")
        ET.SubElement(prop, "Mortgage", {k: str(v) for k, v in mortgage.items() if v})
    on = today()
    for s in record.get("seals", []):
        if not _active(s, on):
            continue
        seal = {
            "court": s.get("court"),
            "caseNumber": s.get("case_number"),
            "rank": str(s.get("rank", "first")).lower(),
            "sealedOn": s.get("sealed_on"),
            "expiresOn": s.get("expires_on"),
        }
        ET.SubElement(prop, "Seal", {k: str(v) for k, v in seal.items() if v})


def _property_dict(record: Mapping[str, Any]) -> dict[str, Any]:
    on = today()
    return {
        "certificate": record.get("certificate"),
        "owner_id": record.get("owner_id"),
        "owner_name": record.get("owner_name"),
        "address": record.get("address"),
        "area_m2": _area(record.get("area_m2", 0)),
        "usage": record.get("usage"),
        "mortgages": list(record.get("mortgages", [])),
        "seals": [dict(s) for s in record.get("seals", []) if _active(s, on)],
    }


# -- executing orders ------------------------------------------------------------------------


def _query(code: str, props: list[dict[str, Any]], subject: Mapping[str, Any]) -> OrderOutcome:
    # A written order names the subject by ID: answer ID matches and owner-less same-name
    # records, never another person's property.
    sid, name = subject.get("id_number"), subject.get("name")
    found = [
        _property_dict(p)
        for p in props
        if p.get("owner_id") == sid or (not p.get("owner_id") and p.get("owner_name") == name)
    ]
    return OrderOutcome(
        "COMPLETED", "found" if found else "not_found", {"registry": code, "properties": found}
    )


def _seal(code: str, props: list[dict[str, Any]], order: Order) -> OrderOutcome:
    certificate = order.details.get("certificate")
    if not certificate:
        return OrderOutcome("REJECTED", "certificate_required", {"registry": code})
    record = next((p for p in props if p.get("certificate") == certificate), None)
    if record is None:
        return OrderOutcome("REJECTED", "no_such_property", {"certificate": certificate})
    subject = order.subject
    owner_id = record.get("owner_id")
    if (owner_id and owner_id != subject.get("id_number")) or (
        not owner_id and record.get("owner_name") != subject.get("name")
    ):
        return OrderOutcome("REJECTED", "owner_mismatch", {"certificate": certificate})
    on = today()
    seals: list[dict[str, Any]] = record.setdefault("seals", [])
    active = [s for s in seals if _active(s, on)]
    court, case_number = order.fields.get("court"), order.fields.get("case_number")
    if any(s.get("court") == court and s.get("case_number") == case_number for s in active):
        return OrderOutcome("REJECTED", "already_sealed", {"certificate": certificate})
    waiting = bool(active)
    seal = {
        "court": court,
        "case_number": case_number,
        "rank": "WAITING" if waiting else "FIRST",
        "sealed_on": on.isoformat(),
        # a waiting seal has no term until it is promoted
        "expires_on": None if waiting else _add_years(on, SEAL_YEARS).isoformat(),
        "document_number": order.fields.get("document_number"),
    }
    seals.append(seal)
    result = {"registry": code, "certificate": certificate, **seal}
    return OrderOutcome("COMPLETED", "sealed", result)


def _unseal(code: str, props: list[dict[str, Any]], order: Order) -> OrderOutcome:
    certificate = order.details.get("certificate")
    court, case_number = order.fields.get("court"), order.fields.get("case_number")
    released: list[dict[str, Any]] = []
    promoted: list[dict[str, Any]] = []
    for record in props:
        if certificate and record.get("certificate") != certificate:
            continue
        seals: list[dict[str, Any]] = record.get("seals", [])
        mine = [s for s in seals if s.get("court") == court and s.get("case_number") == case_number]
        if not mine:
            continue
        remaining = [s for s in seals if s not in mine]
        on = today()
        if any(s.get("rank") == "FIRST" for s in mine):
            waiting = sorted(
                (s for s in remaining if _active(s, on)), key=lambda s: str(s.get("sealed_on"))
            )
            if waiting and not any(s.get("rank") == "FIRST" for s in waiting):
                # the earliest waiting seal takes effect, and its term starts now
                waiting[0]["rank"] = "FIRST"
                waiting[0]["expires_on"] = _add_years(on, SEAL_YEARS).isoformat()
                waiting[0]["promoted_on"] = on.isoformat()
                promoted.append(
                    {
                        "certificate": record.get("certificate"),
                        "court": waiting[0].get("court"),
                        "case_number": waiting[0].get("case_number"),
                        "rank": "FIRST",
                        "expires_on": waiting[0]["expires_on"],
                    }
                )
        record["seals"] = remaining
        released.append({"certificate": record.get("certificate"), "court": court})
        released[-1]["case_number"] = case_number
    if not released:
        return OrderOutcome("REJECTED", "no_such_seal", {"registry": code})
    result: dict[str, Any] = {"registry": code, "released": released}
    if promoted:  # which waiting seals took effect, so their courts learn of it
        result["promoted"] = promoted
    return OrderOutcome("COMPLETED", "unsealed", result)


def _renew(code: str, props: list[dict[str, Any]], order: Order) -> OrderOutcome:
    certificate = order.details.get("certificate")
    record = next((p for p in props if p.get("certificate") == certificate), None)
    if record is None:
        return OrderOutcome("REJECTED", "no_such_property", {"certificate": certificate})
    court, case_number = order.fields.get("court"), order.fields.get("case_number")
    on = today()
    seal = next(
        (
            s
            for s in record.get("seals", [])
            if s.get("court") == court and s.get("case_number") == case_number and _active(s, on)
        ),
        None,
    )
    if seal is None:
        return OrderOutcome("REJECTED", "no_such_seal", {"certificate": certificate})
    if seal.get("rank") == "FIRST":
        current = date.fromisoformat(str(seal.get("expires_on") or on.isoformat()))
        seal["expires_on"] = _add_years(max(current, on), SEAL_YEARS).isoformat()
    seal["renewed_on"] = on.isoformat()
    result = {"registry": code, "certificate": certificate, **seal}
    return OrderOutcome("COMPLETED", "renewed", result)


def _transfer(code: str, props: list[dict[str, Any]], order: Order) -> OrderOutcome:
    details = order.details
    certificate = details.get("certificate")
    record = next((p for p in props if p.get("certificate") == certificate), None)
    if record is None:
        return OrderOutcome("REJECTED", "no_such_property", {"certificate": certificate})
    if not details.get("ruling") or not details.get("buyer_name"):
        return OrderOutcome("REJECTED", "ruling_required", {"certificate": certificate})
    if record.get("owner_id") != order.subject.get("id_number"):
        return OrderOutcome("REJECTED", "owner_mismatch", {"certificate": certificate})
    record["owner_id"] = details.get("buyer_id")
    record["owner_name"] = details.get("buyer_name")
    record["seals"] = []  # the auction's ruling clears the seals on the property
    result = {
        "registry": code,
        "certificate": certificate,
        "new_owner": details.get("buyer_name"),
        "transferred_on": today().isoformat(),
    }
    return OrderOutcome("COMPLETED", "transferred", result)


def execute(agency: MockAgency, order: Order) -> OrderOutcome:
    code = str(order.fields.get("registry", ""))
    props = _properties(agency.world, code)
    if order.action == "SEAL":
        return _seal(code, props, order)
    if order.action == "UNSEAL":
        return _unseal(code, props, order)
    if order.action == "RENEW_SEAL":
        return _renew(code, props, order)
    if order.action == "TRANSFER":
        return _transfer(code, props, order)
    return _query(code, props, order.subject)


# -- handlers --------------------------------------------------------------------------------


def _guard(agency: MockAgency, request: Request) -> tuple[str, Response | None]:
    """The registry code of the path, or the error to answer instead."""
    code = str(request.path_params["code"])
    if not basic_ok(request, USER, agency.secret):
        return code, xml_error(401, "authentication required")
    if code not in registries(agency.world):
        return code, xml_error(404, "no such registry", "UNKNOWN_REGISTRY")
    return code, None


async def query(agency: MockAgency, request: Request) -> Response:
    code, refused = _guard(agency, request)
    if refused:
        return refused
    root = await _parse(request, "QueryRequest")
    if root is None:
        return xml_error(400, "expected a <QueryRequest> document", "MALFORMED")
    subjects = root.findall("Subject")
    if len(subjects) > MAX_SUBJECTS:
        return xml_error(400, f"at most {MAX_SUBJECTS} subjects", "TOO_MANY_SUBJECTS")
    props = _properties(agency.world, code)
    answer = ET.Element("QueryResponse", registry=code)
    for subject in subjects:
        sid, name = subject.get("idNumber", ""), subject.get("name", "")
        result = ET.SubElement(answer, "Result", idNumber=sid, name=name)
        for record in props:
            if (sid and record.get("owner_id") == sid) or (
                name and record.get("owner_name") == name
            ):
                _property_element(result, record)
    return _xml(answer)


def _status_element(order: Order) -> ET.Element:
    attrs = {
        "reference": order.ref,
        "requestId": order.request_id,
        "idempotencyKey": order.idempotency_key,
        "action": order.action,
        "status": order.status.lower(),
        "urges": str(order.urges),
        "createdAt": order.created_at.isoformat(),
        "updatedAt": (order.updated_at or order.created_at).isoformat(),
    }
    root = ET.Element("OrderStatus", {k: v for k, v in attrs.items() if v is not None})
    if order.terminal:
        ET.SubElement(root, "Outcome").text = order.outcome or ""
        encode_value(ET.SubElement(root, "Result"), order.result)
    return root


def _order_fields(root: ET.Element, code: str) -> dict[str, Any] | None:
    subject = root.find("Subject")
    action = root.get("action", "")
    if subject is None or action not in ACTIONS or not root.get("caseNumber"):
        return None
    details_element = root.find("Details")
    details = decode_value(details_element) if details_element is not None else {}
    return {
        "registry": code,
        "request_id": root.get("requestId"),
        "action": action,
        "case_number": root.get("caseNumber"),
        "court": root.get("court"),
        "document_number": root.get("documentNumber"),
        "subject": {
            "id_number": subject.get("idNumber"),
            "name": subject.get("name"),
            "kind": subject.get("kind", "PERSON"),
        },
        "details": details if isinstance(details, dict) else {},
        "callback_url": root.get("callbackUrl"),
        "due_at": root.get("dueAt"),
    }


async def submit(agency: MockAgency, request: Request) -> Response:
    code, refused = _guard(agency, request)
    if refused:
        return refused
    key = request.headers.get("idempotency-key")
    if not key:
        return xml_error(400, "Idempotency-Key header required", "IDEMPOTENCY_KEY_REQUIRED")
    root = await _parse(request, "Order")
    fields = _order_fields(root, code) if root is not None else None
    if fields is None:
        return xml_error(400, "expected an <Order> with action, caseNumber, Subject", "MALFORMED")
    order, new = agency.submit_order(f"{code}{_KEY_SEP}{key}", fields)
    if new:
        order.idempotency_key = key  # the scoped key stays internal; callbacks show the caller's
    receipt = ET.Element("OrderReceipt", reference=order.ref, status=order.status.lower())
    return _xml(receipt, 201 if new else 200)


def _in_registry(order: Order | None, code: str) -> Order | None:
    return order if order is not None and order.fields.get("registry") == code else None


async def get_order(agency: MockAgency, request: Request) -> Response:
    code, refused = _guard(agency, request)
    if refused:
        return refused
    order = _in_registry(agency.get_order(str(request.path_params["ref"])), code)
    if order is None:
        return xml_error(404, "no such order")
    return _xml(_status_element(order))


async def find_order(agency: MockAgency, request: Request) -> Response:
    code, refused = _guard(agency, request)
    if refused:
        return refused
    key = request.query_params.get("idempotencyKey")
    if not key:
        return xml_error(400, "idempotencyKey parameter required")
    order = agency.order_by_key(f"{code}{_KEY_SEP}{key}")
    if order is None:
        return xml_error(404, "no such order")
    return _xml(_status_element(order))


async def urge(agency: MockAgency, request: Request) -> Response:
    code, refused = _guard(agency, request)
    if refused:
        return refused
    ref = str(request.path_params["ref"])
    if _in_registry(agency.get_order(ref), code) is None:
        return xml_error(404, "no such order")
    root = await _parse(request, "Urge")
    note = (root.text or "").strip() if root is not None else ""
    order = agency.urge_order(ref, note or None)
    urges = order.urges if order is not None else 0
    return _xml(ET.Element("UrgeReceipt", reference=ref, urges=str(urges)))


async def docs(request: Request) -> Response:
    return PlainTextResponse(DOCS)


def create_app(world: dict[str, Any] | None = None, *, secret: str | None = None) -> Starlette:
    agency = MockAgency(
        KIND, world, secret=secret, ref_prefix="RE", execute=execute, error_response=xml_error
    )
    p = "/registries/{code}"
    routes = [
        Route(f"{p}/query", partial(query, agency), methods=["POST"]),
        Route(f"{p}/orders", partial(submit, agency), methods=["POST"]),
        Route(f"{p}/orders", partial(find_order, agency), methods=["GET"]),
        Route(f"{p}/orders/{{ref}}", partial(get_order, agency), methods=["GET"]),
        Route(f"{p}/orders/{{ref}}/urge", partial(urge, agency), methods=["POST"]),
        Route("/docs", docs, methods=["GET"]),
    ]
    return build_app(agency, routes)


app = create_app()
