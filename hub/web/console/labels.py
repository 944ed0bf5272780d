"""zh-CN labels for the console: codes stay in the data, people read these.

A code without a label is shown as it is, so a new status never breaks a page.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from adapters.sdk.registry import installed_classes
from hub.errors import BadUserInput, HubError, RateLimited

CASE_STATUS = {
    "OPEN": "执行中",
    "SETTLED": "和解",
    "CONCLUDED": "执行完毕",
    "TERMINATED": "终结本次执行",
    "ENDED": "终结执行",
}

LIVELIHOOD = {
    "ALIMONY": "赡养费/扶养费",
    "CHILD_SUPPORT": "抚养费",
    "PENSION": "养老金/抚恤金",
    "TRAFFIC_INJURY": "交通事故人身损害赔偿",
    "WAGES": "劳动报酬",
}

PARTY_ROLE = {"APPLICANT": "申请执行人", "RESPONDENT": "被执行人"}
PARTY_KIND = {"PERSON": "自然人", "ORGANIZATION": "单位"}

REQUEST_STATUS = {
    "PENDING": "待发送",
    "DISPATCHED": "已送达待签收",
    "ACKNOWLEDGED": "已签收",
    "COMPLETED": "已办结",
    "REJECTED": "已退回",
    "FAILED": "发送失败",
    "CANCELLED": "已撤回",
}

EVENT_KIND = {
    "CREATED": "创建",
    "FILED": "立案",
    "DISPATCHED": "已发送",
    "DELIVERED": "已送达",
    "ACKNOWLEDGED": "已签收",
    "ANSWERED": "已答复",
    "COMPLETED": "已办结",
    "REJECTED": "已退回",
    "FAILED": "发送失败",
    "CANCELLED": "已撤回",
    "URGED": "催办",
    "EVALUATED": "评价",
    "RETRY": "重试",
    "STATUS_CHANGED": "状态变更",
    "CLUE_SUBMITTED": "提交线索",
    "CLUE_CONFIRMED": "采纳线索",
    "RESENT": "重新发送",
    "SIGHTING": "布控发现",
    "PROMOTED": "轮候转首封",
    "OWNERSHIP_CONFIRMED": "确认财产权属",
    "DECISION": "作出决定",
    "DECISION_REVOKED": "撤销决定",
    "CREDIT_REPAIR_REQUESTED": "申请信用修复",
    "CREDIT_REPAIR_APPROVED": "准予信用修复",
    "RECHECK_SCHEDULED": "终本定期复查",
    "RECHECKED": "终本复查",
    "RECHECK_FOUND": "复查发现财产",
    "EXPIRY_REMINDER": "到期提醒",
    "FUNDS_RECEIVED": "案款到账",
    "FUNDS_DISBURSED": "案款发放",
    "FUNDS_REMINDER": "案款发放提醒",
}

SOURCE_STATE = {
    "OK": "正常",
    "ERROR": "出错",
    "TIMEOUT": "超时",
    "CIRCUIT_OPEN": "熔断中",
    "STALE": "缓存数据",
    "NOT_APPLICABLE": "不适用",
}

CIRCUIT = {
    "closed": "正常",
    "open": "熔断中",
    "half_open": "试探恢复",
    "half-open": "试探恢复",
    "not_applicable": "不适用（窗口办理）",
}

CREDIT_LIST = {
    "DISHONEST": "失信被执行人名单",
    "CONSUMPTION_RESTRICTION": "限制消费",
    "EXIT_RESTRICTION": "限制出境",
}

TRAVEL_MODE = {"rail": "铁路", "air": "航空", "bus": "客运", "ship": "水运", "car": "自驾"}

SEAL_RANK = {"FIRST": "首封", "WAITING": "轮候"}

# the choices answer forms offer, by value
ANSWER_CHOICE = {"FIRST": "首封（首冻）", "WAITING": "轮候"}

# headings for the nested records of any kind, by attribute (a kind may give its own
# with ``dataclasses.field(metadata={"title": ...})``)
NESTED = {
    "mortgages": "抵押",
    "seals": "查封",
    "frozen": "冻结",
    "sightings": "出现",
    "travel": "出行",
    "records": "记录",
    "entries": "名单",
}

ROLE = {
    "court_officer": "法院执行干警",
    "agency_officer": "协助单位经办人",
    "observer": "跟案代表委员",
    "admin": "系统管理员",
    "applicant": "申请执行人",
    "supervisor": "上级法院督导",
}

OUTCOME = {
    "sealed": "已查封",
    "unsealed": "已解封",
    "found": "查有财产",
    "not_found": "未查到",
    "done": "已办理",
    "frozen": "已冻结",
    "controlled": "已查控",
    "listed": "已纳入失信名单",
    "delisted": "已移出失信名单",
    "restricted": "已限制高消费",
    "lifted": "已解除限制高消费",
    "already_listed": "此前已纳入名单",
    "not_listed": "未在名单中",
    "located": "已查明下落",
    "person_not_found": "未查到此人",
    "detained": "已协助拘留",
    "watching": "布控中",
    "sighted": "布控发现",
    "renewed": "已续封",
    "transferred": "已过户",
    "unfrozen": "已解除冻结",
    "deducted": "已扣划",
    "assessed": "已核定税费",
    "mediating": "调解中",
    "completed": "已办结",
    "owner_mismatch": "权利人与被执行人不符",
    "already_sealed": "本案已查封该财产",
    "already_frozen": "本案已冻结该账户",
    "no_such_property": "无此不动产",
    "no_such_seal": "本案未查封该财产",
    "no_such_freeze": "本案未冻结该账户",
    "no_such_account": "无此账户",
    "certificate_required": "未载明不动产权证号",
    "amount_required": "未载明金额",
    "price_required": "未载明成交价",
    "ruling_required": "未载明成交确认裁定",
    "insufficient_funds": "账户余额不足",
    "not_effective": "轮候冻结尚未生效",
    "no_wage_arrears_case": "无欠薪案件",
    "unsupported_action": "协助单位不办理此事项",
    "error": "协助单位系统出错",
    "rejected": "协助单位退回",
}

RESULT_FIELD = {
    "certificate": "不动产权证号",
    "registry": "登记机构代码",
    "rank": "查封顺位",
    "sealed_on": "查封日期",
    "expires_on": "到期日",
    "court": "法院",
    "case_number": "案号",
    "document_number": "法律文书号",
    "plate": "车牌号",
    "note": "说明",
    "text": "办理情况",
    "seal_request_id": "所涉查封请求",
    "household_address": "户籍地址",
    "residence": "居住地",
    "latest_travel": "最近出行",
    "latest_sighting": "最近出现",
    "sightings": "发现记录",
    "plates": "车牌号",
    "controlled": "已查控车辆",
    "detained_on": "拘留日期",
    "place": "地点",
    "released": "解除查封",
    "promoted": "轮候转为正式（首封、首冻）",
    "renewed_on": "续封日期",
    "promoted_on": "轮候转为正式日期",
    "account": "账号",
    "account_number": "账号",
    "amount": "金额（元）",
    "bank": "开户行",
    "message": "说明",
    "ruling": "成交确认裁定书文号",
    "buyer_name": "买受人",
    "buyer_id": "买受人证件号码",
    "tax_request_id": "完税协助请求",
    "new_owner": "新权利人",
    "transferred_on": "过户日期",
    "listed_on": "纳入日期",
    "list": "名单",
    "measures": "惩戒措施",
    "term_months": "期限（月）",
    "decision_number": "决定书文号",
}

ERROR_CODE = {
    "BAD_USER_INPUT": "输入有误",
    "UNAUTHENTICATED": "请先登录",
    "FORBIDDEN": "无权进行此操作",
    "NOT_FOUND": "未找到",
    "CONFLICT": "当前状态下不能这样操作",
    "UPSTREAM_UNAVAILABLE": "协助单位系统暂时无法连接",
    "UPSTREAM_TIMEOUT": "协助单位系统响应超时",
    "INTERNAL": "系统内部错误",
}

FIELD = {
    "token": "令牌",
    "number": "案号",
    "caseNumber": "案号",
    "documentNumber": "法律文书号",
    "subjectIdNumber": "被执行人",
    "agencyId": "协助单位",
    "action": "协助事项",
    "details": "详情",
    "details.certificate": "不动产权证号",
    "reason": "理由",
    "outcome": "办理结果",
    "result": "办理情况",
    "result.rank": "查封顺位",
    "result.expires_on": "查封到期日",
    "rating": "评分",
    "comment": "评价意见",
    "note": "备注",
    "description": "线索描述",
    "region": "行政区划代码",
    "kind": "类别",
    "idempotencyKey": "提交编号",
    "id": "请求编号",
    "idNumber": "证件号码",
    "details.tax_request_id": "完税协助请求",
    "details.plate": "车牌号",
    "details.account_number": "账号",
    "details.amount": "金额",
    "details.term_months": "惩戒期限",
    "details.measures": "惩戒措施",
    "content": "诉求内容",
    "applicantName": "诉求人姓名",
    "applicantPhone": "联系电话",
    "receivedAt": "收到时间",
    "channel": "渠道",
    "category": "诉求类别",
    "reply": "答复内容",
    "clue.region": "行政区划代码",
    "clue.kind": "线索类别",
    "clue.subjectIdNumber": "被执行人",
    "amount": "金额",
    "receivedOn": "到账日期",
    "paidOn": "发放日期",
    "payeeName": "收款人",
    "payeeAccount": "收款账号",
    "source": "款项来源",
    "reference": "凭证号",
    "requestId": "协助请求",
    "effectiveOn": "生效日期",
    "court": "法院",
    "prefix": "法院代码",
    "from": "起始日期",
    "to": "截止日期",
    "form": "提交内容",
}

RECEIPT_SOURCE = {
    "DEBTOR": "被执行人交纳",
    "DEDUCTION": "扣划",
    "AUCTION": "拍卖变卖",
    "OTHER": "其他",
}

# the notes the hub writes on events, for people (older rows keep the hub's wording)
EVENT_NOTE = {
    "waiting in the console inbox": "已送达协助单位，待窗口签收",
    "acknowledged with the answer": "随答复一并签收",
    "reported by the agency": "协助单位报告已收到",
    "rejected by the agency": "协助单位退回",
    "completed": "已办结",
}
_DELIVERED = re.compile(r"^delivered to (?P<agency>\S+) as (?P<ref>\S+)$")
_FROM_CLUE = re.compile(r"^(?P<n>\d+) request\(s\) from clue (?P<clue>\d+)$")
_STATUS_MOVE = re.compile(r"^(?P<old>[A-Z]+) → (?P<new>[A-Z]+)(?:: (?P<note>.*))?$", re.S)
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def outcome_text(outcome: object) -> str:
    """An agency's outcome for people: a known code's label; an unknown code (an agency's
    own word) as a neutral 已办理; what staff typed as it is."""
    if outcome is None:
        return ""
    text = str(outcome)
    if text in OUTCOME:
        return OUTCOME[text]
    return "已办理" if _CODE.match(text) else text


def event_note(note: object, kind: object = None, names: Mapping[str, str] | None = None) -> str:
    """An event's note for people; ``names``: agency names by id."""
    if note is None:
        return ""
    text = str(note)
    kind = str(getattr(kind, "value", kind) or "")
    if text in EVENT_NOTE:
        return EVENT_NOTE[text]
    if match := _DELIVERED.match(text):
        agency = (names or {}).get(match["agency"], "协助单位")
        return f"已送达{agency}，对方受理编号 {match['ref']}"
    if match := _FROM_CLUE.match(text):
        return f"据线索生成协助请求 {match['n']} 项"
    if match := _STATUS_MOVE.match(text):
        moved = f"{label(CASE_STATUS, match['old'])} → {label(CASE_STATUS, match['new'])}"
        return moved + (f"：{match['note']}" if match["note"] else "")
    if kind == "FAILED":
        return "多次发送未成功，请检查协助单位系统后重新发送"
    if kind in ("COMPLETED", "REJECTED", "ANSWERED") or _CODE.match(text):
        return outcome_text(text)
    return text


@functools.cache
def _action_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for cls in installed_classes():
        for spec in cls.action_specs.values():
            labels.setdefault(spec.name, spec.label)
    return labels


def action_label(name: object) -> str:
    """An action's name for people, as the kind that takes it declares it."""
    return label(_action_labels(), name)


def label(table: Mapping[str, str], code: object) -> str:
    """``table[code]``, or the code itself when it has no label."""
    if code is None:
        return ""
    text = str(getattr(code, "value", code))
    return table.get(text, text)


# the hub's messages (written for API clients) as an officer reads them; a message in
# English that is not here is left out, the code and the field say enough
MESSAGE = {
    "the subject is not a party of this case": "该当事人不是本案当事人",
    "no such agency": "没有这个协助单位",
    "no such case": "没有这个案件",
    "no such assistance request": "没有这个协助请求",
    "no such party": "没有这个当事人",
    "no such party in this case": "本案没有这个当事人",
    "no such property clue": "没有这条财产线索",
    "must not be empty": "不能为空",
    "must not contain control characters": "不能含有控制字符",
    "details must be a JSON object": "详情格式有误",
    "details must be plain JSON": "详情格式有误",
    "details are too large": "详情过长",
    "result must be a JSON object": "办理情况格式有误",
    "a seal ranks FIRST or WAITING": "查封顺位只能是首封或轮候",
    "expires_on is a date, YYYY-MM-DD": "到期日须为日期，如 2026-12-06",
    "a new term ends in the future": "新的期限须晚于今天",
    "rating is 1 to 5": "评分为 1 至 5 分",
    "choose a rating from 1 to 5": "请选择 1 至 5 分",
    "choose a party of this case": "请选择本案当事人",
    "choose at least one proposal": "请至少选择一项",
    "a request is evaluated only after its answer": "答复之后才能评价",
    "this request is already evaluated": "该请求已评价",
    "a query is answered found or not_found": "查询结果只能是查有财产或未查到",
    "list what was found, one row per property": "请逐项列明查到的财产",
    "properties are listed, but the outcome says none found": "列有财产，但结果为未查到",
    "only the addressed agency's officers answer this request": "只有受托协助单位的经办人可以办理",
    "dossiers are read only by the case's own court officers": "财产档案仅限本案执行法院干警查阅",
    "this case is outside your scope": "该案件不在您的权限范围内",
    "this case belongs to another court": "该案件属于其他法院",
    "only administrators may do this": "仅系统管理员可以操作",
    "an idempotency key has 1 to 200 characters": "提交编号为 1 至 200 个字符",
    "this idempotency key was used for another request": "该提交编号已用于其他请求",
    "this seal is already being lifted": "该查封正在解除中",
}
_STATUS_MOVE_ERROR = re.compile(
    r"^an? (?P<old>[A-Z]+) request cannot (?:become (?P<new>[A-Z]+)|(?P<verb>.+))$"
)
_NEEDS_DOCUMENT = re.compile(r"^\S+ needs the court's document number$")
_DOES_NOT_TAKE = re.compile(r"^agency \S+ does not take \S+$")
_MAX_LENGTH = re.compile(r"^must be at most (?P<n>\d+) characters$")
_ENGLISH = re.compile(r"[A-Za-z]{4,}")


def field_label(field: str) -> str:
    """A form field's name for people: ``details.ruling`` as 成交确认裁定书文号."""
    if field in FIELD:
        return FIELD[field]
    last = field.rsplit(".", 1)[-1]
    if last in RESULT_FIELD:
        return RESULT_FIELD[last]
    return "填写内容" if _ENGLISH.search(field) else field


def message_text(message: str) -> str | None:
    """The hub's message in zh-CN, or ``None`` when there is nothing to add in Chinese."""
    if message in MESSAGE:
        return MESSAGE[message]
    if match := _STATUS_MOVE_ERROR.match(message):
        now = label(REQUEST_STATUS, match["old"])
        if match["new"]:
            return f"{now}的请求不能变为{label(REQUEST_STATUS, match['new'])}"
        return f"{now}的请求不能这样操作"
    if _NEEDS_DOCUMENT.match(message):
        return "此事项须填写法律文书号"
    if _DOES_NOT_TAKE.match(message):
        return "该协助单位不办理此事项"
    if match := _MAX_LENGTH.match(message):
        return f"不能超过 {match['n']} 个字符"
    return None if _ENGLISH.search(message) else message


def error_text(error: HubError) -> str:
    """A sentence for an officer: what kind of failure, in Chinese, then the hub's message."""
    if isinstance(error, RateLimited):
        return f"查询过于频繁，请 {error.retry_after} 秒后再试。"
    head = ERROR_CODE.get(error.code, ERROR_CODE["INTERNAL"])
    if error.code == "INTERNAL":
        return head  # the message of an unexpected error is not for display
    if isinstance(error, BadUserInput):
        head = f"{head}（{field_label(error.field)}）"
    message = message_text(error.message)
    return f"{head}：{message}" if message else head


def request_title(action: object) -> str:
    """A request's heading: 查封协助, but 协助拘留 (never 协助拘留协助)."""
    name = action_label(action)
    return name if "协助" in name else f"{name}协助"


# result values that are codes, by the field they appear in
RESULT_VALUE: dict[str, Mapping[str, str]] = {
    "rank": SEAL_RANK,
    "list": CREDIT_LIST,
    "mode": TRAVEL_MODE,
}


def result_value(key: object, value: object) -> str:
    """A value of an answer's field for people: codes labelled, dates as 2026-12-06."""
    table = RESULT_VALUE.get(str(key))
    if table is not None:
        return label(table, value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return "" if value is None else str(value)
