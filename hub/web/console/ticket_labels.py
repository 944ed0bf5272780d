"""zh-CN labels of the tickets (诉求) pages, and the sentences their errors read as."""

from __future__ import annotations

from hub.errors import BadUserInput, HubError
from hub.web.console import labels

CHANNEL = {
    "WINDOW": "窗口来访",
    "HOTLINE": "12368热线",
    "ONLINE": "网上诉求",
    "LETTER": "来信",
    "DEPUTY": "代表委员转交",
}

CATEGORY = {
    "PROGRESS": "查询进度",
    "PROPERTY_CLUE": "提供财产线索",
    "FUNDS": "案款发放",
    "MEET_JUDGE": "约见法官",
    "COMPLAINT": "投诉",
    "OTHER": "其他",
}

STATUS = {
    "OPEN": "待分派",
    "ASSIGNED": "办理中",
    "REPLIED": "已答复待评价",
    "CLOSED": "已办结",
    "REOPENED": "重新办理",
}

EVENT = {
    "OPENED": "登记",
    "ASSIGNED": "分派",
    "CLUE_LINKED": "转为财产线索",
    "REPLIED": "答复",
    "URGED": "催办",
    "ESCALATED": "超期督办",
    "RATED": "评价",
    "REOPENED": "重新办理",
    "CLOSED": "办结",
    "REMINDED": "到期提醒",
    "OVERDUE": "已超期",
    "NOTIFIED": "短信通知",
    "NOTIFY_FAILED": "短信发送失败",
}

# what to fix, per field, in the words of the form
HINTS = {
    "content": "请填写诉求内容（不超过2000字）。",
    "applicantName": "请填写诉求人姓名。",
    "applicantPhone": "联系电话只能包含数字，可带区号和“-”。",
    "receivedAt": "收到时间不能晚于现在。",
    "caseNumber": "未找到该案件，请核对案号。",
    "channel": "请选择正确的渠道。",
    "category": "请选择诉求类别。",
    "reply": "请填写答复内容。",
    "rating": "请在1至5分之间评分。",
    "comment": "评价意见过长或含有不可用的字符。",
    "note": "备注过长或含有不可用的字符。",
    "clue.region": "行政区划代码为2、4或6位数字。",
}

CONFLICTS = {
    "this ticket is not waiting for an answer": "该诉求已答复或已办结，无需再次答复。",
    "this ticket is closed": "该诉求已办结，不能催办。",
    "this ticket is answered: rate the answer instead": (
        "该诉求已答复，不能催办。如对答复不满意，请评价：评1分或2分的，诉求将退回重新办理。"
    ),
    "only an answered ticket is rated": "诉求答复后才能评价。",
    "this idempotency key was used for another ticket": "该表单已提交过，请刷新页面后重新填写。",
}


def error_text(error: HubError) -> str:
    if isinstance(error, BadUserInput):
        field = labels.FIELD.get(error.field, error.field)
        return f"输入有误（{field}）：{HINTS.get(error.field, '请检查后重新填写。')}"
    if error.code == "CONFLICT":
        return CONFLICTS.get(error.message, labels.ERROR_CODE["CONFLICT"] + "。")
    if error.code in ("FORBIDDEN", "NOT_FOUND"):
        return labels.ERROR_CODE[error.code] + "。"
    return labels.error_text(error)
