"""Staff console pages: sign-in and the agent console.

The pages are Jinja2 templates (``_base.html`` is the shared layout); their behaviour lives in
plain scripts under ``/static/``. Every text they show comes from ``STRINGS``, the console's one
translation table: templates use ``t(key)``, and the page embeds the same table as JSON for its
script. English is the reference; other locales fall back to it key by key.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..i18n import normalize_locale
from .pages import render

routes = web.RouteTableDef()

LANG_COOKIE = "console_lang"
DEFAULT_NEXT = "/agent"

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "appName": "Helpdesk",
        "pageTitle": "Agent console",
        "loginTitle": "Sign in",
        "navLabel": "Console",
        "navAgent": "Agent console",
        "navSupervisor": "Supervisor",
        "language": "Language",
        "switchLanguage": "\u4e2d\u6587",
        # sign-in
        "loginHeading": "Sign in to the helpdesk",
        "loginIntro": "For agents, supervisors and administrators.",
        "email": "E-mail",
        "password": "Password",
        "signIn": "Sign in",
        "signingIn": "Signing in\u2026",
        "loginFailed": "The e-mail or password is not correct.",
        "loginMissing": "Enter your e-mail and password.",
        "signOut": "Sign out",
        "networkError": "The helpdesk could not be reached. Check your connection and try again.",
        # top bar
        "presenceLabel": "Presence",
        "presence.online": "Online",
        "presence.away": "Away",
        "presence.offline": "Offline",
        "presenceSet": "You are now {presence}.",
        "live": "Live",
        "reconnecting": "Reconnecting\u2026 (refreshing every 5 s)",
        "signedInAs": "Signed in as",
        # queue
        "queue": "Queue",
        "queueEmpty": "No one is waiting.",
        "mine": "My tickets",
        "mineEmpty": "You hold no open tickets.",
        "agentsOnline": "{n} agents online",
        "position": "Place in the queue",
        "waiting": "waiting {time}",
        "unreadTitle": "{n} unread messages",
        "newChat": "New chat in the queue: {number} ({name})",
        "assignedToYou": "{number} was assigned to you.",
        "anonymous": "Anonymous visitor",
        "vip": "VIP",
        "dispute": "Dispute",
        "escalated": "Escalated",
        "breached": "SLA breached",
        # conversation
        "conversation": "Conversation",
        "transcript": "Transcript",
        "pickTicket": "Pick a chat from the queue on the left, or one of your tickets.",
        "loading": "Loading\u2026",
        "actions": "Ticket actions",
        "assignedTo": "with {name}",
        "unassigned": "Unassigned",
        "queuePosition": "#{n} in the queue",
        "conversationStatus": "chat: {status}",
        "customer": "Customer",
        "bot": "Assistant",
        "agent": "Agent",
        "system": "System",
        "intent": "Intent and confidence (NLU)",
        "entity": "Entity the assistant extracted",
        "emotion": "Emotion",
        "buttonPayload": "Button payload",
        "buttonsShown": "Buttons shown to the customer",
        "customPayload": "custom: {data}",
        "customerTyping": "The customer is typing\u2026",
        "agentTyping": "{name} is typing\u2026",
        # composer
        "tabReply": "Reply to customer",
        "tabNotes": "Internal notes",
        "tabNotesCount": "Internal notes ({n})",
        "replyLabel": "Message to the customer",
        "replyPlaceholder": "Write to the customer\u2026 Type / for canned responses",
        "cannedLabel": "Canned responses",
        "cannedHint": "/ inserts a canned response (Tab or Enter)",
        "send": "Send",
        "counter": "{n} / {max}",
        "addButton": "+ Button",
        "quickButtons": "Buttons sent with the message",
        "buttonTitle": "Button text",
        "buttonPayloadLabel": "Payload (optional)",
        "payloadPlaceholder": "same as the text",
        "add": "Add",
        "removeButton": "Remove the button {title}",
        "tooManyButtons": "At most {n} buttons per message.",
        "hintClaim": "Claim this ticket to write to the customer.",
        "hintOtherAgent": "{name} holds this ticket.",
        "hintClosed": "The ticket is {status}; the customer cannot be written to from here.",
        "hintNoConversation": "This ticket has no chat conversation.",
        "notesEmpty": "No internal notes yet. Notes are only seen by staff.",
        "noteLabel": "Internal note (never shown to the customer)",
        "notePlaceholder": "Internal note for colleagues \u2014 never shown to the customer",
        "addNote": "Add note",
        # actions
        "action.claim": "Claim",
        "action.pending": "Pending",
        "action.open": "Back to open",
        "action.resolve": "Resolve",
        "action.close": "Close",
        "action.reopen": "Reopen",
        "action.transfer": "Transfer",
        "action.escalate": "Escalate",
        "action.unassign": "Unassign",
        "action.returnToBot": "Return to bot",
        "claimed": "You claimed {number}.",
        "done.pending": "Waiting on the customer; the SLA clocks are paused.",
        "done.closed": "The ticket is closed.",
        "done.resolved": "Resolved. The customer has been told.",
        "done.transferred": "Transferred.",
        "done.escalated": "Escalated to the dedicated team.",
        "done.unassigned": "The ticket is back in the queue.",
        "done.returnedToBot": "The assistant has the conversation again.",
        "confirm.close": "Close {number}? A closed ticket cannot be reopened.",
        "confirm.unassign": (
            "Put this ticket back in the queue? The customer will wait for the next agent."
        ),
        "confirm.returnToBot": "Hand the conversation back to the assistant?",
        "confirm.escalate": (
            "Flag this as a complex case and move it to {team}, which owns it until it is solved?"
        ),
        "confirm.escalateAny": "Flag this as a complex case and move it to the dedicated team?",
        "confirmTitle": "Please confirm",
        "confirm": "Confirm",
        "cancel": "Cancel",
        "resolveTitle": "Resolve the ticket",
        "resolution": "Resolution (sent to the customer)",
        "resolutionHelp": (
            "What was done, in words for the customer. They then get the satisfaction survey."
        ),
        "resolutionRequired": "Write the resolution first.",
        "rootCause": "Root cause",
        "correctiveAction": "Corrective action",
        "transferTitle": "Transfer the ticket",
        "toTeam": "To a team (back to its queue)",
        "toAgent": "To an agent",
        "dedicated": "dedicated",
        "agentOption": "{name} \u2014 {presence}, {load}/{capacity} chats",
        "chooseTeam": "Choose a team.",
        "chooseAgent": "Choose an agent.",
        # ticket panel
        "ticketDetails": "Ticket",
        "customerProfile": "Customer",
        "priority": "Priority",
        "priority.P1": "P1 \u2014 urgent",
        "priority.P2": "P2 \u2014 high",
        "priority.P3": "P3 \u2014 normal",
        "priority.P4": "P4 \u2014 low",
        "category": "Category",
        "tags": "Tags",
        "tagsPlaceholder": "comma, separated",
        "kind": "Kind",
        "reason": "Reason",
        "team": "Team",
        "assignee": "Assignee",
        "created": "Created",
        "firstResponse": "First response",
        "resolvedAt": "Resolved",
        "subject": "Subject",
        "summary": "Summary",
        "reopened": "Reopened",
        "sla": "SLA",
        "slaDue": "{clock}: {time} left",
        "slaOverdue": "{clock}: overdue by {time}",
        "slaMet": "{clock}: met",
        "slaPaused": "{clock}: paused",
        "slaDueAt": "due {time}",
        "saved": "Saved.",
        "nothingChanged": "Nothing changed.",
        "rating": "Customer rating",
        "ratingSkipped": "The customer skipped the survey.",
        "csat": "Satisfaction",
        "ratingResolved": "Issue resolved",
        "comment": "Comment",
        "yes": "yes",
        "no": "no",
        "complaintRecord": "Complaint record",
        "saveComplaint": "Save record",
        "timelineCount": "Timeline ({n})",
        "durationSeconds": "{s}s",
        "durationMinutes": "{m}m {s}s",
        "durationHours": "{h}h {m}m",
        "durationDays": "{d}d {h}h",
        # customer panel
        "phone": "Phone",
        "tier": "Value tier",
        "lifecycle": "Lifecycle",
        "membership": "Membership",
        "customerNotes": "Notes",
        "lastSeen": "Widget last seen",
        "noProfile": "No customer profile: the visitor did not give an e-mail address.",
        "earlierTickets": "Earlier tickets ({n})",
        "earlierConversations": "Earlier conversations ({n})",
        "ratings": "Ratings",
        "noScore": "no score",
        "none": "None.",
        # machine values
        "status.new": "new",
        "status.open": "open",
        "status.pending": "pending",
        "status.resolved": "resolved",
        "status.closed": "closed",
        "status.reopened": "reopened",
        "conv.bot": "with the assistant",
        "conv.queued": "waiting for an agent",
        "conv.agent": "with an agent",
        "conv.closed": "ended",
        "kind.escalation": "escalation",
        "kind.complaint": "complaint",
        "kind.offline": "offline",
        "reason.requested": "customer asked for a person",
        "reason.fallback": "the assistant did not understand",
        "reason.complaint": "complaint",
        "reason.sentiment": "negative sentiment",
        "reason.order_lookup_failed": "order lookup failed",
        "reason.after_hours": "out of business hours",
        "reason.bot_unavailable": "assistant unavailable",
        "clock.first_response": "First response",
        "clock.next_response": "Next response",
        "clock.resolution": "Resolution",
        "tier.high": "high",
        "tier.medium": "medium",
        "tier.low": "low",
        "lifecycle.potential": "potential",
        "lifecycle.new": "new",
        "lifecycle.mature": "mature",
        "lifecycle.lost": "lost",
        "emotion.neutral": "neutral",
        "emotion.frustrated": "frustrated",
        "emotion.angry": "angry",
        "how.claimed": "claimed",
        "how.transferred": "transferred",
        "how.auto": "auto-assigned",
        "stage.received": "received",
        "stage.verified": "verified",
        "stage.classified": "classified",
        "stage.investigating": "investigating",
        "stage.resolved_notified": "resolved, customer notified",
        "stage.satisfaction_asked": "satisfaction asked",
        "stage.closed": "closed",
        "complaintCategory.quality": "product quality",
        "complaintCategory.promise_not_kept": "promise not kept",
        "complaintCategory.need_not_met": "need not met",
        "complaintCategory.staff_attitude": "staff attitude",
        "complaintCategory.other": "other",
        "complaintField.stage": "Stage",
        "complaintField.category": "Category",
        "complaintField.verification": "Verification (facts checked, evidence)",
        "complaintField.root_cause": "Root cause",
        "complaintField.corrective_action": "Corrective action",
        "complaintField.evaluation_note": "Evaluation note",
        "complaintField.description": "Description",
        "complaintField.order_number": "Order",
        "complaintField.resolution": "Resolution",
        "complaintField.result_notified_at": "Result notified",
        "complaintField.satisfaction": "Satisfaction with the resolution",
        "fieldName.category": "category",
        "fieldName.tags": "tags",
        "ratingPart.speed": "Speed",
        "ratingPart.problem_solving": "Problem solving",
        "ratingPart.attitude": "Attitude",
        "ev.created": "Created: {reason}, {priority}",
        "ev.assigned": "Assigned to {name} ({how})",
        "ev.status": "Status {old} \u2192 {new}",
        "ev.priority": "Priority {old} \u2192 {new}",
        "ev.classified": "{field}: {value}",
        "ev.transferred": "Transferred",
        "ev.escalated": "Escalated to the dedicated team",
        "ev.note": "Note",
        "ev.message": "Agent replied",
        "ev.firstResponse": "First response",
        "ev.sla_warning": "SLA warning: {clocks}",
        "ev.sla_breached": "SLA breached: {clocks}",
        "ev.complaint": "Complaint record updated: {fields}",
        "ev.unassigned": "Unassigned",
        "ev.returned_to_bot": "Returned to the assistant",
        "ev.rating": "Customer rated",
        "ev.subject_changed": "Subject changed",
    },
    "zh-CN": {
        "appName": "客服中心",
        "pageTitle": "客服工作台",
        "loginTitle": "登录",
        "navAgent": "客服工作台",
        "navSupervisor": "主管",
        "language": "语言",
        "switchLanguage": "English",
        "loginHeading": "登录客服中心",
        "loginIntro": "供客服、主管和管理员使用。",
        "email": "电子邮件",
        "password": "密码",
        "signIn": "登录",
        "signingIn": "正在登录…",
        "loginFailed": "邮箱或密码不正确。",
        "loginMissing": "请输入邮箱和密码。",
        "signOut": "退出",
        "networkError": "无法连接客服中心,请检查网络后重试。",
        "presenceLabel": "状态",
        "presence.online": "在线",
        "presence.away": "离开",
        "presence.offline": "离线",
        "live": "实时",
        "reconnecting": "正在重新连接…(每 5 秒刷新)",
        "queue": "排队",
        "queueEmpty": "暂无等待的客户。",
        "mine": "我的工单",
        "mineEmpty": "您没有进行中的工单。",
        "agentsOnline": "{n} 位客服在线",
        "waiting": "已等待 {time}",
        "unreadTitle": "{n} 条未读消息",
        "newChat": "新的排队对话:{number}({name})",
        "anonymous": "匿名访客",
        "dispute": "纠纷",
        "escalated": "已升级",
        "breached": "SLA 已超时",
        "pickTicket": "请从左侧排队或我的工单中选择一个对话。",
        "loading": "加载中…",
        "unassigned": "未分配",
        "customer": "客户",
        "bot": "智能助手",
        "agent": "客服",
        "system": "系统",
        "customerTyping": "客户正在输入…",
        "agentTyping": "{name} 正在输入…",
        "tabReply": "回复客户",
        "tabNotes": "内部备注",
        "tabNotesCount": "内部备注({n})",
        "replyPlaceholder": "给客户的消息… 输入 / 使用快捷回复",
        "send": "发送",
        "addButton": "+ 按钮",
        "add": "添加",
        "hintClaim": "认领此工单后才能回复客户。",
        "addNote": "添加备注",
        "action.claim": "认领",
        "action.pending": "待客户回复",
        "action.resolve": "解决",
        "action.close": "关闭",
        "action.reopen": "重新打开",
        "action.transfer": "转交",
        "action.escalate": "升级",
        "action.unassign": "取消分配",
        "action.returnToBot": "交还智能助手",
        "confirm": "确认",
        "cancel": "取消",
        "resolveTitle": "解决工单",
        "resolution": "处理结果(将发送给客户)",
        "rootCause": "根本原因",
        "correctiveAction": "纠正措施",
        "priority": "优先级",
        "category": "分类",
        "tags": "标签",
        "team": "团队",
        "assignee": "处理人",
        "saved": "已保存。",
        "status.new": "新建",
        "status.open": "处理中",
        "status.pending": "待客户回复",
        "status.resolved": "已解决",
        "status.closed": "已关闭",
        "status.reopened": "已重开",
        "phone": "电话",
        "none": "无。",
    },
}


def console_locale(request: web.Request) -> str:
    """``?lang=`` (remembered in a cookie), else the cookie, else the browser's language."""
    tag = request.query.get("lang") or request.cookies.get(LANG_COOKIE)
    if not tag:
        tag = request.headers.get("Accept-Language", "").split(",")[0].split(";")[0].strip()
    return normalize_locale(tag)


def catalogue(locale: str) -> dict[str, str]:
    return {**STRINGS["en"], **STRINGS.get(locale, {})}


def safe_next(value: str | None) -> str:
    """A local path to go to after signing in (never another site)."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value)
    ):
        return DEFAULT_NEXT
    return value


def render_console(request: web.Request, template: str, **context: Any) -> web.Response:
    """Renders a console page with the translation table for the request's language."""
    locale = console_locale(request)
    strings = catalogue(locale)

    def t(key: str, **values: Any) -> str:
        text = strings.get(key, key)
        return text.format(**values) if values else text

    user = request.get("user")
    response = render(
        template,
        t=t,
        locale=locale,
        lang_url=str(request.rel_url.update_query(lang="en" if locale == "zh-CN" else "zh-CN")),
        user={"name": user.name, "role": user.role} if user is not None else None,
        console_data={"locale": locale, "strings": strings},
        **context,
    )
    if "lang" in request.query:
        response.set_cookie(LANG_COOKIE, locale, samesite="Lax", path="/", max_age=365 * 86400)
    ws = f"ws://{request.host} wss://{request.host}"
    response.headers.update(
        {
            "Cache-Control": "no-store",
            "Content-Security-Policy": (
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                f"connect-src 'self' {ws}; frame-ancestors 'none'; base-uri 'none'; "
                "form-action 'self'"
            ),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        }
    )
    return response


@routes.get("/login")
async def login_page(request: web.Request) -> web.Response:
    next_path = safe_next(request.query.get("next"))
    if request.get("user") is not None:
        raise web.HTTPFound(next_path)
    return render_console(request, "login.html", next_path=next_path)


@routes.get("/agent")
async def agent_page(request: web.Request) -> web.Response:
    if request.get("user") is None:
        raise web.HTTPFound("/login?next=/agent")
    return render_console(request, "agent.html", active="agent")
