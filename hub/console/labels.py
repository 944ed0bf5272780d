"""zh-CN labels for the console: codes stay in the data, people read these.

A code without a label is shown as it is, so a new status never breaks a page.
"""

from __future__ import annotations

import functools
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
    "observer": "案件关注人",
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
    "listed": "已纳入",
    "delisted": "已移出",
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


def error_text(error: HubError) -> str:
    """A sentence for an officer: what kind of failure, in Chinese, then the hub's message."""
    if isinstance(error, RateLimited):
        return f"查询过于频繁，请 {error.retry_after} 秒后再试。"
    head = ERROR_CODE.get(error.code, ERROR_CODE["INTERNAL"])
    if error.code == "INTERNAL":
        return head  # the message of an unexpected error is not for display
    if isinstance(error, BadUserInput):
        head = f"{head}（{FIELD.get(error.field, error.field)}）"
    return f"{head}：{error.message}"
