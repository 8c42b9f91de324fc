"""Privacy: consent before the first message, the audit log, access and erasure requests, and
the retention job, on SQLite and PostgreSQL (issue 12).

The Rasa side of erasure (the tracker forgotten) is checked here against a stand-in that keeps
trackers like Rasa's in-memory store, and end to end against the real Rasa in
tests/e2e/test_privacy_e2e.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from aiohttp import web
from sqlalchemy import select, text, update

from ticketing.models import (
    AuditEntry,
    Consent,
    Conversation,
    Customer,
    Message,
    OutboxItem,
    Rating,
    Ticket,
    utcnow,
)
from ticketing.privacy.anonymise import RASA_ERASE, REMOVED
from ticketing.privacy.crypto import lookup_hash
from ticketing.services import background, privacy
from ticketing.web.app import init_app
from ticketing.web.keys import HUB

from .conftest import INTERNAL_TOKEN, Chat, count_rows, hand_off, verified

EMAIL = "ann.private@example.com"
NAME = "Annabel Privet"
PHONE = "07700 900123"
TODAY = utcnow().date().isoformat()
IS_ANN = Customer.email_hash == lookup_hash(EMAIL)  # addresses are encrypted at rest
OPT_OUT_ANSWER = "You can stop marketing messages at any time with the 'Unsubscribe' link."


class TrackerRasa:
    """Answers turns and keeps a tracker per sender, as Rasa's in-memory tracker store does;
    ``PUT .../tracker/events`` replaces it (what the hub's ``RasaClient.forget`` calls)."""

    def __init__(self) -> None:
        self.trackers: dict[str, list[str]] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/hub/webhook", self.webhook)
        app.router.add_put("/conversations/{sender}/tracker/events", self.replace)
        return app

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.trackers.setdefault(body["sender"], []).append(body["message"])
        nlu = {"intent": {"name": "faq", "confidence": 0.9}, "decision": "answered"}
        if "unsubscribe" in body["message"]:
            key = {"intent_response_key": "faq/marketing_opt_out", "confidence": 0.95}
            nlu["response_selector"] = {"faq": {"response": key}}
            return web.json_response({"messages": [{"text": OPT_OUT_ANSWER}], "nlu": nlu})
        return web.json_response({"messages": [{"text": "Thanks, noted."}], "nlu": nlu})

    async def replace(self, request: web.Request) -> web.Response:
        self.trackers[request.match_info["sender"]] = list(await request.json())
        return web.json_response({"events": []})


@pytest.fixture
async def rasa(aiohttp_server):
    stand_in = TrackerRasa()
    server = await aiohttp_server(stand_in.app())
    stand_in.url = f"http://127.0.0.1:{server.port}"
    return stand_in


@pytest.fixture
async def client(aiohttp_client, settings, rasa):
    return await aiohttp_client(
        init_app(replace(settings, rasa_url=rasa.url, identity_secret="the-shops-identity-secret"))
    )


async def _notice(client, locale: str = "en") -> dict:
    response = await client.get(f"/api/chat/privacy?locale={locale}")
    assert response.status == 200
    return await response.json()


async def _start(client, **body) -> tuple[int, dict]:
    response = await client.post("/api/chat/sessions", json=body)
    return response.status, await response.json()


# ------------------------------------------------------------------ consent


async def test_the_notice_comes_from_shop_yml_in_each_locale(client):
    en, zh = await _notice(client), await _notice(client, "zh-CN")
    assert "2 years" in en["chat"]["text"] and "card numbers" in en["chat"]["text"]
    assert "2 年" in zh["chat"]["text"]
    assert en["chat"]["version"] != zh["chat"]["version"]
    assert en["url"] == "/privacy" and en["required"] is False  # development default
    page = await client.get("/privacy")
    html = await page.text()
    assert page.status == 200 and en["chat"]["text"] in html
    assert "privacy@northwind.example" in html and "730 days" in html


async def test_consent_is_recorded_with_the_exact_wording(client, hub):
    notice = await _notice(client)
    status, body = await _start(
        client, consent={"chat": True, "version": notice["chat"]["version"]}
    )
    assert status == 201 and body["consent_version"] == notice["chat"]["version"]
    async with hub.sessions() as db:
        conversation = await db.scalar(
            select(Conversation).where(Conversation.public_id == body["session_id"])
        )
        records = list((await db.execute(select(Consent))).scalars())
    assert conversation.consent_version == notice["chat"]["version"]
    assert [(r.kind, r.granted, r.channel, r.wording, r.conversation_id) for r in records] == [
        ("chat", True, "widget", notice["chat"]["text"], conversation.id)
    ]
    assert records[0].created_at is not None


@pytest.mark.parametrize(
    "consent, code",
    [
        ({"chat": True, "version": "chat-000000000000"}, "notice_changed"),
        ({"chat": False}, "invalid"),
        ({"chat": True, "marketing": True}, "invalid"),  # marketing needs a verified e-mail
        ({"chat": True, "marketing": "yes"}, "invalid"),
        ("yes", "invalid"),
    ],
)
async def test_bad_consent_creates_nothing(client, hub, consent, code):
    status, body = await _start(client, consent=consent)
    assert status == 422 and body["error"]["code"] == code
    assert await count_rows(hub, "conversations") == 0
    assert await count_rows(hub, "consents") == 0


async def test_no_message_is_accepted_before_consent_when_required(aiohttp_client, settings, rasa):
    client = await aiohttp_client(
        init_app(replace(settings, rasa_url=rasa.url, chat_consent_required=True))
    )
    hub = client.app[HUB]
    status, body = await _start(client)
    assert status == 201 and body["consent_version"] is None
    chat = Chat(client, body["session_id"], body["token"])
    refused = await chat.send("hello", expect=403)
    assert refused["error"]["code"] == "consent_required"
    assert await count_rows(hub, "messages") == 0
    notice = await _notice(client)
    assert notice["required"] is True
    for bad in ("null", "[]", '{"chat": false}'):
        refused = await client.post(
            f"/api/chat/sessions/{chat.session_id}/consent",
            data=bad,
            headers={**chat.auth, "Content-Type": "application/json"},
        )
        assert refused.status == 422, bad
    assert await count_rows(hub, "consents") == 0
    response = await client.post(
        f"/api/chat/sessions/{chat.session_id}/consent",
        json={"chat": True, "version": notice["chat"]["version"]},
        headers=chat.auth,
    )
    assert response.status == 200
    again = await client.post(
        f"/api/chat/sessions/{chat.session_id}/consent", json={"chat": True}, headers=chat.auth
    )
    assert again.status == 200 and await count_rows(hub, "consents") == 1  # idempotent
    reply = await chat.send("hello")
    assert [m["sender"] for m in reply["messages"]] == ["customer", "bot"]


async def test_marketing_is_opt_in_recorded_and_withdrawn_in_the_profile(client, hub, make_staff):
    notice = await _notice(client)
    status, body = await _start(
        client, customer=verified(EMAIL, NAME), consent={"chat": True, "marketing": True}
    )
    assert status == 201
    async with hub.sessions() as db:
        customer = await db.scalar(select(Customer).where(IS_ANN))
    assert customer.marketing_consent is True
    supervisor = await make_staff("sup@example.com", role="supervisor")
    profile = await supervisor.get(f"/api/customers/{customer.id}")
    assert [(c["kind"], c["granted"], c["wording"]) for c in profile["consents"]] == [
        ("chat", True, notice["chat"]["text"]),
        ("marketing", True, notice["marketing"]["text"]),
    ]
    # staff cannot opt a customer in
    refused = await supervisor.patch(
        f"/api/customers/{customer.id}", {"marketing_consent": True}, expect=422
    )
    assert refused["error"]["field"] == "marketing_consent"
    withdrawn = await supervisor.patch(
        f"/api/customers/{customer.id}", {"marketing_consent": False}
    )
    assert withdrawn["marketing_consent"] is False
    last = withdrawn["consents"][-1]
    assert (last["kind"], last["granted"], last["channel"]) == ("marketing", False, "profile")
    assert last["recorded_by"] == supervisor.user["id"]


async def test_unsubscribe_in_the_chat_withdraws_marketing_consent(client, hub, rasa):
    status, body = await _start(
        client, customer=verified(EMAIL, NAME), consent={"chat": True, "marketing": True}
    )
    chat = Chat(client, body["session_id"], body["token"])
    answered = (await chat.send("please unsubscribe me"))["messages"]
    assert [m["sender"] for m in answered] == ["customer", "bot", "system"]
    [button] = answered[-1]["buttons"]
    assert button["payload"] == privacy.UNSUBSCRIBE_PAYLOAD
    done = (await chat.send(button["title"], payload=button["payload"]))["messages"]
    assert [m["sender"] for m in done] == ["customer", "system"]
    assert "no more marketing e-mails" in done[-1]["text"]
    assert button["payload"] not in rasa.trackers[chat.session_id]  # the hub's own button
    async with hub.sessions() as db:
        customer = await db.scalar(select(Customer).where(IS_ANN))
        records = list((await db.execute(select(Consent).order_by(Consent.id))).scalars())
    assert customer.marketing_consent is False
    assert [(r.kind, r.granted, r.channel) for r in records] == [
        ("chat", True, "widget"),
        ("marketing", True, "widget"),
        ("marketing", False, "chat"),
    ]
    # an anonymous chat gets the answer without the offer (there is nobody to unsubscribe)
    status, body = await _start(client)
    anonymous = Chat(client, body["session_id"], body["token"])
    replies = (await anonymous.send("unsubscribe me"))["messages"]
    assert [m["sender"] for m in replies] == ["customer", "bot"]


# ------------------------------------------------------------------ the audit log


async def test_each_access_to_personal_data_leaves_an_audit_entry(client, hub, make_staff):
    status, body = await _start(client, customer=verified(EMAIL, NAME))
    chat = Chat(client, body["session_id"], body["token"])
    await chat.send("where is my parcel")
    async with hub.sessions() as db:
        customer_id = await db.scalar(select(Customer.id).where(IS_ANN))
    supervisor = await make_staff("sup@example.com", role="supervisor")
    admin = await make_staff("admin@example.com", role="admin")
    await supervisor.get(f"/api/conversations/{chat.session_id}")
    await supervisor.get(f"/api/customers/{customer_id}")
    csv = await client.get("/api/conversations.csv?q=Annabel", headers=supervisor.headers(False))
    assert csv.status == 200
    await csv.read()
    log = await admin.get("/api/audit")
    entries = [(e["actor"], e["action"], e["target"]) for e in log["entries"]]
    assert entries == [
        ("sup@example.com", "report.exported", "report:conversations.csv"),
        ("sup@example.com", "customer.viewed", f"customer:{customer_id}"),
        ("sup@example.com", "conversation.viewed", f"conversation:{chat.session_id}"),
    ]
    exported = log["entries"][0]["detail"]
    assert exported["searched"] is True and "Annabel" not in str(log)  # no search text kept
    await supervisor.get("/api/audit", expect=403)
    only_views = await admin.get("/api/audit?action=customer.viewed")
    assert [e["action"] for e in only_views["entries"]] == ["customer.viewed"]
    await admin.get("/api/audit?action=nonsense", expect=422)
    download = await client.get("/api/audit.csv", headers=admin.headers(False))
    lines = (await download.text()).strip().splitlines()
    assert lines[0].startswith("id,created_at,actor,action") and len(lines) == 4


async def test_the_audit_log_refuses_updates(client, hub):
    async with hub.sessions() as db, db.begin():
        db.add(AuditEntry(action="customer.viewed", target="customer:1", actor="x", detail={}))
    with pytest.raises(Exception, match="append-only"):
        async with hub.sessions() as db, db.begin():
            await db.execute(update(AuditEntry).values(actor="someone else"))
    async with hub.sessions() as db:
        assert await db.scalar(select(AuditEntry.actor)) == "x"


# ------------------------------------------------------------------ access and erasure


async def _customer_with_history(client, hub) -> Chat:
    """A verified customer who chatted, gave a phone number, was handed off, filed a
    complaint, rated with a comment and got an e-mail."""
    status, body = await _start(
        client, customer=verified(EMAIL, NAME), consent={"chat": True, "marketing": True}
    )
    assert status == 201
    chat = Chat(client, body["session_id"], body["token"])
    await chat.send(f"my parcel is late, call me on {PHONE}")
    handed = await hand_off(client, chat)
    internal = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}
    complaint = await client.post(
        "/internal/complaints",
        json={
            "session_id": chat.session_id,
            "category": "promise_not_kept",
            "description": f"{NAME} was promised delivery on Monday",
        },
        headers=internal,
    )
    assert complaint.status == 201, await complaint.text()
    rating = await client.post(
        f"/internal/conversations/{chat.session_id}/rating",
        json={"csat": 2, "resolved": False, "comment": f"ring me, {NAME}"},
        headers=internal,
    )
    assert rating.status == 200, await rating.text()
    async with hub.sessions() as db, db.begin():
        db.add(
            OutboxItem(kind="email", payload={"to": EMAIL, "subject": "Your ticket", "body": NAME})
        )
    chat.ticket = handed["ticket"]["number"]
    return chat


async def _database_text(hub) -> str:
    """Every value in every table, as one lower-case string (what a breach would expose)."""
    from ticketing.models import Base

    values = []
    async with hub.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = await connection.execute(select(table))
            values.extend(str(value) for row in rows for value in row)
    return "\n".join(values).lower()


async def _figures(supervisor) -> dict:
    report = await supervisor.get(f"/api/reports/summary?from={TODAY}&to={TODAY}")
    report.pop("live", None)
    return report


async def test_export_holds_everything_and_erase_leaves_no_trace(client, hub, make_staff, rasa):
    chat = await _customer_with_history(client, hub)
    admin = await make_staff("admin@example.com", role="admin")
    before = await _figures(admin)

    response = await client.post(
        "/api/privacy/export", json={"email": EMAIL.upper()}, headers=admin.headers()
    )
    assert response.status == 200
    assert "attachment" in response.headers["Content-Disposition"]
    bundle = await response.json()
    assert bundle["profile"]["email"] == EMAIL and bundle["profile"]["name"] == NAME
    [conversation] = bundle["conversations"]
    assert conversation["session_id"] == chat.session_id
    assert any(PHONE in m["text"] for m in conversation["messages"])
    assert [t["number"] for t in bundle["tickets"]] == [chat.ticket]
    assert NAME in bundle["complaints"][0]["description"]
    assert bundle["ratings"][0]["comment"] == f"ring me, {NAME}"
    assert {c["kind"] for c in bundle["consents"]} == {"chat", "marketing"}

    await admin.post("/api/privacy/erase", {"email": EMAIL}, expect=422)  # no confirm
    assert EMAIL in await _database_text(hub)
    erased = await admin.post("/api/privacy/erase", {"email": EMAIL, "confirm": True})
    assert erased["erased"]["conversations"] == 1 and erased["erased"]["profile"] == 1

    dump = await _database_text(hub)
    for secret in (EMAIL, NAME.lower(), "annabel", PHONE, "900123"):
        assert secret.lower() not in dump, secret
    async with hub.sessions() as db:
        texts = list((await db.execute(select(Message.text))).scalars())
        ratings = list((await db.execute(select(Rating))).scalars())
        tickets = list((await db.execute(select(Ticket).order_by(Ticket.id))).scalars())
        queued = list(
            (await db.execute(select(OutboxItem).where(OutboxItem.kind == RASA_ERASE))).scalars()
        )
    assert set(texts) == {REMOVED}
    assert [(r.csat, r.resolved, r.comment) for r in ratings] == [(2, False, None)]
    assert tickets[0].number == chat.ticket and all(t.priority for t in tickets)
    assert {t.customer_email for t in tickets} == {None}
    assert [q.payload for q in queued] == [{"sender_id": chat.session_id}]
    assert await _figures(admin) == before  # the reports count the same

    # Rasa forgets the tracker on the worker's next round
    assert rasa.trackers[chat.session_id]
    await background.tick(hub)
    assert rasa.trackers[chat.session_id] == []

    # a second erasure, and an export, find nothing and change nothing
    counts = {t: await count_rows(hub, t) for t in ("messages", "outbox", "audit_log")}
    again = await admin.post("/api/privacy/erase", {"email": EMAIL, "confirm": True}, expect=404)
    assert again["error"]["code"] == "unknown_subject"
    await admin.post("/api/privacy/export", {"email": EMAIL}, expect=404)
    assert {t: await count_rows(hub, t) for t in counts} == counts
    log = await admin.get("/api/audit")
    assert [e["action"] for e in log["entries"][:2]] == ["subject.erased", "subject.exported"]
    assert EMAIL not in str(log) and NAME not in str(log)


async def test_erasure_finds_an_address_typed_into_an_anonymous_chat(client, hub, make_staff):
    status, body = await _start(client)
    chat = Chat(client, body["session_id"], body["token"])
    await chat.send(f"it's {EMAIL}, can you delete my data")
    admin = await make_staff("admin@example.com", role="admin")
    erased = await admin.post("/api/privacy/erase", {"email": EMAIL, "confirm": True})
    assert erased["erased"]["conversations"] == 1
    assert EMAIL not in await _database_text(hub)


@pytest.mark.parametrize("body", [{}, {"email": 42}, {"email": "not an address"}, []])
async def test_bad_requests_change_nothing(client, hub, make_staff, body):
    admin = await make_staff("admin@example.com", role="admin")
    before = await count_rows(hub, "audit_log")
    response = await client.post("/api/privacy/export", json=body, headers=admin.headers())
    assert response.status in (400, 422)
    assert await count_rows(hub, "audit_log") == before


# ------------------------------------------------------------------ retention


async def _age(hub, session_id: str, days: int) -> None:
    then = utcnow() - timedelta(days=days)
    async with hub.sessions() as db, db.begin():
        conversation = await db.scalar(
            select(Conversation).where(Conversation.public_id == session_id)
        )
        conversation.status = "closed"
        await db.execute(
            text(
                "UPDATE conversations SET created_at = :t, updated_at = :t, closed_at = :t,"
                " last_customer_message_at = :t WHERE id = :id"
            ).bindparams(t=then.replace(tzinfo=None), id=conversation.id)
        )
        await db.execute(
            text("UPDATE messages SET created_at = :t WHERE conversation_id = :id").bindparams(
                t=then.replace(tzinfo=None), id=conversation.id
            )
        )


async def test_retention_removes_old_chats_keeps_recent_ones_and_resumes(
    client, hub, rasa, make_staff
):
    old = []
    for n in range(3):
        status, body = await _start(client, customer={"email": f"old{n}@example.com"})
        chat = Chat(client, body["session_id"], body["token"])
        await chat.send(f"old message {n}")
        await _age(hub, chat.session_id, 800)
        old.append(chat)
    status, body = await _start(client, customer={"email": "recent@example.com"})
    recent = Chat(client, body["session_id"], body["token"])
    await recent.send("recent message")
    async with hub.sessions() as db, db.begin():
        db.add(AuditEntry(action="customer.viewed", target="customer:9", actor="x", detail={},
                          created_at=utcnow() - timedelta(days=1000)))  # fmt: skip

    supervisor = await make_staff("sup@example.com", role="supervisor")
    then = (utcnow() - timedelta(days=800)).date().isoformat()
    old_period = f"/api/reports/summary?from={then}&to={then}"
    figures = await supervisor.get(old_period)
    assert figures["conversations"]["total"] == 3

    plan = await privacy.run_retention(hub, dry_run=True)
    assert plan["would_remove"]["transcripts"] == 3 and plan["would_remove"]["audit_log"] == 1
    assert "old0@example.com" in await _database_text(hub)  # the dry run changed nothing

    # a run that stopped after its first batch, then a full run: each chat done once
    async with hub.sessions() as db, db.begin():
        from ticketing.privacy import retention

        cutoff = utcnow() - timedelta(days=730)
        assert await retention.transcripts_batch(db, cutoff, size=1) == 1
    result = await privacy.run_retention(hub, batch=1)
    assert result["removed"]["transcripts"] == 2 and result["removed"]["audit_log"] == 1
    again = await privacy.run_retention(hub)
    assert again["removed"]["transcripts"] == 0

    dump = await _database_text(hub)
    assert "old0@example.com" not in dump and "old message" not in dump
    after = await supervisor.get(old_period)
    assert {k: v for k, v in after.items() if k != "live"} == {
        k: v for k, v in figures.items() if k != "live"
    }  # the old period's report counts the same
    assert "recent@example.com" in dump and "recent message" in dump
    async with hub.sessions() as db:
        forgets = (
            await db.execute(select(OutboxItem.payload).where(OutboxItem.kind == RASA_ERASE))
        ).scalars()
        assert sorted(p["sender_id"] for p in forgets) == sorted(c.session_id for c in old)
        kept = await db.scalar(
            select(Conversation).where(Conversation.public_id == old[0].session_id)
        )
    assert kept is not None and kept.anonymised_at is not None  # the row stays, for the figures


async def test_the_forgotten_chats_are_listed_page_by_page(client, hub, make_staff):
    chats = []
    for n in range(3):
        status, body = await _start(client, customer={"email": f"gone{n}@example.com"})
        chats.append(body["session_id"])
    await _start(client, customer={"email": "stays@example.com"})
    admin = await make_staff("admin@example.com", role="admin")
    for n in range(3):
        await admin.post("/api/privacy/erase", {"email": f"gone{n}@example.com", "confirm": True})
    internal = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}
    listed, after = [], 0
    while after is not None:
        response = await client.get(
            f"/internal/privacy/forgotten?after={after}&limit=2", headers=internal
        )
        page = await response.json()
        assert response.status == 200 and len(page["sender_ids"]) <= 2
        listed += page["sender_ids"]
        after = page["next"]
    assert listed == chats  # in order, each once, the kept chat left out
    refused = await client.get("/internal/privacy/forgotten?limit=0", headers=internal)
    assert refused.status == 422
