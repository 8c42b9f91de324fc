"""The supervisor console (/supervisor) in a real browser.

This module starts a hub of its own (as test_agent_console.py does: the staff accounts are
created with the CLI, which needs the hub's DATABASE_URL) next to a tiny stand-in for the Rasa
server: it answers the hub's input channel with canned bot replies and an NLU result (intent,
confidence, emotion) chosen by keywords, so transcripts carry real intents and the NLU review
list has misunderstood messages, without a trained model.

History comes from ``python -m ticketing demo-data --conversations 300`` when the CLI offers
that flag, and always from a few conversations made through the public APIs: chats, hand-offs
and complaints through the internal API (the hub's shared token), an agent claiming, answering
and resolving, and ratings. Every figure the tests look for in the page is read from the same
API the page uses, so the assertions hold whatever the demo history adds; for the assistant's
decisions and answer ratings, one conversation (Eve's) is made last and the summary of the
day is taken just before it, so the tests also know exactly what it added.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from playwright.sync_api import APIRequestContext, Browser, Page, expect

from scripts.envs import HUB_PYTHON

from .support import (
    INTERNAL_TOKEN,
    REPO_ROOT,
    PageOpener,
    add_users_cli,
    free_port,
    internal_url,
    start_hub,
    stop_hub,
)

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)

PASSWORD = "correct horse battery"
INTERNAL = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}
SEARCH_WORD = "thermos"  # said in three of the API-made conversations only
LABELLED_TEXT = "the thermos lid is broken and nobody helps"
NONSENSE_TEXT = "blorp wibble frobnicate"
XSS_TEXT = "hello <img src=x onerror=alert(document.domain)>"  # must stay text
# Eve's turns (the stand-in answers them with a decision, the gate's score, a FAQ topic)
TEAPOT_RETURN = "how do I send the teapot back"  # answered from the FAQ, then marked 👎
TEAPOT_RETURN_AGAIN = "how do I send the teapot back?!"  # the same words, declined this time
TEAPOT_OFF_TOPIC = "what is the weather like on mars for my teapot"  # declined
TEAPOT_CLARIFY = "teapot: deliver or return?"  # "Did you mean ...?"
TEAPOT_DELIVERY = "how much is teapot delivery"  # answered from the FAQ, then marked 👍
TEAPOT_WRAP = "can you gift wrap the teapot"  # answered from the FAQ, not rated
# what Eve's conversation adds to the day's figures
EVE_DECISIONS = {"answered": 4, "clarified": 1, "declined": 2, "handed_off": 0}
EVE_HELPFULNESS = {"helpful": 1, "unhelpful": 1}


def faq(topic: str, confidence: float) -> dict:
    return {
        "response_selector": {
            "faq": {"response": {"intent_response_key": f"faq/{topic}", "confidence": confidence}}
        }
    }


# ------------------------------------------------------------------------ a stand-in for Rasa


# (keyword, intent, confidence, reply, extra NLU fields); the first keyword found wins.
# ``decision`` and ``ood`` are what bot/channels.py adds: the assistant's decision and the
# out-of-domain gate's verdict.
NLU_RULES: list[tuple[str, str, float, str, dict]] = [
    (
        "teapot back?!",
        "nlu_fallback",
        0.35,
        "Sorry, I still do not understand. I can connect you with a person.",
        {"decision": "declined"},
    ),
    (
        "teapot back",
        "faq",
        0.83,
        "Returns are free within 30 days.",
        {**faq("return_policy", 0.74), "decision": "answered", "ood": {"score": -0.31}},
    ),
    (
        "weather like on mars",
        "out_of_scope",
        0.9,
        "Sorry, that is not something I can help with.",
        {"decision": "declined", "ood": {"score": 0.12, "reason": "closer_to_off_topic"}},
    ),
    (
        "deliver or return",
        "faq",
        0.55,
        "Did you mean delivery times or returns?",
        {**faq("delivery_time", 0.41), "decision": "clarified", "ood": {"score": -0.12}},
    ),
    (
        "teapot delivery",
        "faq",
        0.92,
        "Delivery is free from 50 EUR.",
        {**faq("shipping_cost", 0.91), "decision": "answered", "ood": {"score": -0.4}},
    ),
    (
        "gift wrap",
        "faq",
        0.81,
        "Yes, gift wrapping costs 3 EUR.",
        {**faq("gift_wrapping", 0.66), "decision": "answered", "ood": {"score": -0.22}},
    ),
    (
        "where is my order",
        "check_order_status",
        0.93,
        "Let me look that order up.",
        {"entities": [{"entity": "order_number", "value": "NW-104233", "start": 18, "end": 27}]},
    ),
    (
        "return my thermos",
        "faq",
        0.88,
        "You can return any item within 30 days.",
        {"response_selector": {"faq": {"response": {"intent_response_key": "faq/return_policy"}}}},
    ),
    (
        "speak to a human",
        "request_human",
        0.97,
        "I will connect you with a colleague.",
        {"decision": "handed_off"},
    ),
    ("thermos lid", "nlu_fallback", 0.31, "Sorry, I did not get that.", {"emotion": "angry"}),
    ("second thermos", "nlu_fallback", 0.42, "Sorry, I did not get that.", {}),
    (
        "hello",
        "greet",
        0.98,
        "Hi! How can I help?",
        {"decision": "answered", "ood": {"score": -0.5}},
    ),
    ("thank", "thank", 0.95, "You are welcome!", {}),
]


def nlu_for(text: str) -> dict:
    """The input channel's answer (bot/channels.py): bot messages plus the NLU result."""
    lowered = text.lower()
    intent, confidence, reply, extra = "nlu_fallback", 0.28, "Sorry, I did not get that.", {}
    for keyword, *rule in NLU_RULES:
        if keyword in lowered:
            intent, confidence, reply, extra = rule
            break
    nlu = {"intent": {"name": intent, "confidence": confidence}, "entities": []}
    nlu.update({k: v for k, v in extra.items() if k != "emotion"})
    if "emotion" in extra:
        nlu["emotion"] = {"label": extra["emotion"], "confidence": 0.9}
    return {"messages": [{"recipient_id": "x", "text": reply}], "nlu": nlu}


class FakeRasa(BaseHTTPRequestHandler):
    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._json(200, {"version": "3.6.0"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path.startswith("/webhooks/hub/webhook"):
            self._json(200, nlu_for(str(body.get("message") or "")))
        else:  # trigger_intent (the survey): nothing to say
            self._json(200, {"messages": []})

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def rasa_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), FakeRasa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# ------------------------------------------------------------------------ the hub and history


@dataclass
class Hub:
    url: str
    database_url: str
    demo_history: bool = False
    sessions: dict[str, str] = field(default_factory=dict)  # name -> session id
    today: str = ""  # the shop's local date of the API-made history
    before_eve: dict = field(default_factory=dict)  # that day's summary just before Eve's chat


def cli(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(HUB_PYTHON), "-m", "ticketing", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        timeout=300,
    )


def demo_history(database_url: str) -> bool:
    """`demo-data --conversations 300` when the CLI has the flag (False when it has not)."""
    done = cli(database_url, "demo-data", "--conversations", "300")
    if done.returncode != 0 and "--conversations" in done.stderr:
        return False  # the flag is not there yet: the API-made history below must do
    assert done.returncode == 0, done.stdout + done.stderr
    return True


def staff_login(request: APIRequestContext, email: str) -> str:
    response = request.post("/api/auth/login", data={"email": email, "password": PASSWORD})
    assert response.ok, response.text()
    return response.json()["csrf_token"]


def request_base_url(request: APIRequestContext) -> str:
    """The hub a request context talks to (its base URL, from a cheap call)."""
    response = request.get("/health")
    return response.url.rsplit("/health", 1)[0]


class Customer:
    """One chat session, driven through the customer chat API as the widget would."""

    def __init__(self, request: APIRequestContext, name: str | None = None, email: str = ""):
        customer = {"name": name, "email": email} if email else {}
        response = request.post("/api/chat/sessions", data={"customer": customer})
        assert response.status == 201, response.text()
        self.request = request
        self.hub_url = request_base_url(request)
        self.session_id = response.json()["session_id"]
        self.token = response.json()["token"]

    def says(self, *texts: str) -> list[dict]:
        """Sends the texts; returns the messages the last one got back (its own, the bot's)."""
        messages: list[dict] = []
        for text in texts:
            response = self.request.post(
                f"/api/chat/sessions/{self.session_id}/messages",
                data={"text": text},
                headers={"Authorization": f"Bearer {self.token}"},
            )
            assert response.ok, response.text()
            messages = response.json()["messages"]
        return messages

    def finds_it(self, text: str, helpful: bool) -> None:
        """Says ``text`` and answers "Was this helpful?" under the bot's answer."""
        answer = next(m for m in self.says(text) if m.get("rateable"))
        response = self.request.post(
            f"/api/chat/sessions/{self.session_id}/messages/{answer['id']}/feedback",
            data={"helpful": helpful},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.ok, response.text()
        assert response.json()["message"]["helpful"] is helpful

    def closes(self) -> None:
        response = self.request.post(
            f"/api/chat/sessions/{self.session_id}/close",
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.ok, response.text()

    def hand_off(self, reason: str, priority: str = "P3") -> str:
        response = self.request.post(
            internal_url(self.hub_url, f"/internal/conversations/{self.session_id}/handoff"),
            data={"reason": reason, "priority": priority, "summary": "from the browser test"},
            headers=INTERNAL,
        )
        assert response.status == 201, response.text()
        return response.json()["ticket"]["number"]

    def complains(self, category: str, description: str) -> str:
        response = self.request.post(
            internal_url(self.hub_url, "/internal/complaints"),
            data={
                "session_id": self.session_id,
                "category": category,
                "description": description,
                "emotion": "angry",
            },
            headers=INTERNAL,
        )
        assert response.status == 201, response.text()
        return response.json()["ticket"]["number"]

    def rates(self, **answers) -> None:
        response = self.request.post(
            internal_url(self.hub_url, f"/internal/conversations/{self.session_id}/rating"),
            data=answers,
            headers=INTERNAL,
        )
        assert response.ok, response.text()


def agent_handles(request: APIRequestContext, csrf: str, number: str, note: str = "") -> None:
    """Claim, answer, (note) and resolve a ticket as the signed-in agent."""
    headers = {"X-CSRF-Token": csrf}
    for path, body in (
        (f"/api/tickets/{number}/claim", {}),
        (f"/api/tickets/{number}/messages", {"text": "Sorry about that, I am on it."}),
        *([(f"/api/tickets/{number}/notes", {"text": note})] if note else []),
        (
            f"/api/tickets/{number}/resolve",
            {
                "resolution": "A replacement is on its way.",
                "root_cause": "A faulty batch from the supplier.",
                "corrective_action": "The batch was taken off sale.",
            },
        ),
    ):
        response = request.post(path, data=body, headers=headers)
        assert response.ok, f"{path}: {response.text()}"


def seed(browser: Browser, hub: Hub) -> None:
    """The API-made history (all of it today, in the shop's time zone)."""
    context = browser.new_context(base_url=hub.url)
    try:
        request = context.request
        agent = browser.new_context(base_url=hub.url)
        csrf = staff_login(agent.request, "dana@example.com")

        ann = Customer(request, "Ann Smith", "ann@example.com")
        ann.says("hello", "where is my order NW-104233", "thank you")
        ann.closes()
        ann.rates(csat=5, resolved=True, speed=5, problem_solving=5, attitude=5)

        bob = Customer(request, "Bob Jones", "bob@example.com")
        bob.says("hello", f"can I return my {SEARCH_WORD} for a refund")
        bob.closes()
        bob.rates(csat=4, resolved=True, speed=4, problem_solving=4, attitude=5)

        lost = Customer(request)
        lost.says(NONSENSE_TEXT, NONSENSE_TEXT + " again")
        number = lost.hand_off("fallback")
        lost.says("are you there?")
        agent_handles(agent.request, csrf, number)
        lost.rates(csat=2, resolved=False, speed=2, problem_solving=2, attitude=4)

        cleo = Customer(request, "Cleo Park", "cleo@example.com")
        cleo.says(LABELLED_TEXT)
        number = cleo.complains("quality", "Thermos lid broke after one week of use.")
        agent_handles(agent.request, csrf, number, note="Check the supplier batch.")
        cleo.rates(csat=1, resolved=False, speed=1, problem_solving=1, attitude=3)

        cleo_again = Customer(request, "Cleo Park", "cleo@example.com")
        cleo_again.says(f"my second {SEARCH_WORD} leaks as well")
        cleo_again.complains("quality", "The replacement thermos leaks too.")

        dan = Customer(request, "Dan Wu", "dan@example.com")
        dan.says("I want to speak to a human")
        dan.hand_off("requested", "P2")  # left waiting in the queue

        quiet = Customer(request)
        quiet.says(XSS_TEXT)

        # the day's figures just before Eve's chat, which the assistant handles with decisions
        supervisor = browser.new_context(base_url=hub.url)
        staff_login(supervisor.request, "sam@example.com")

        def summary_today() -> dict:
            response = supervisor.request.get(
                "/api/reports/summary?" + urlencode({"from": hub.today, "to": hub.today})
            )
            assert response.ok, response.text()
            return response.json()

        default = supervisor.request.get("/api/reports/summary")
        assert default.ok, default.text()
        hub.today = default.json()["period"]["to"]
        hub.before_eve = summary_today()
        eve = Customer(request, "Eve Adams", "eve@example.com")
        eve.says("hello")
        eve.finds_it(TEAPOT_RETURN, helpful=False)
        eve.says(TEAPOT_RETURN_AGAIN, TEAPOT_OFF_TOPIC, TEAPOT_CLARIFY)
        eve.finds_it(TEAPOT_DELIVERY, helpful=True)
        eve.says(TEAPOT_WRAP)
        eve.closes()
        supervisor.close()

        hub.sessions.update(
            ann=ann.session_id,
            bob=bob.session_id,
            lost=lost.session_id,
            cleo=cleo.session_id,
            dan=dan.session_id,
            eve=eve.session_id,
        )
        agent.close()
    finally:
        context.close()


@pytest.fixture(scope="module")
def hub(
    tmp_path_factory: pytest.TempPathFactory, artifacts: Path, rasa_url: str, browser: Browser
) -> Iterator[Hub]:
    """A hub of its own (`python -m ticketing serve`, SQLite) with staff and history."""
    tmp = tmp_path_factory.mktemp("supervisor-hub")
    database_url = f"sqlite:///{tmp / 'hub.db'}"
    url, process = start_hub(
        database_url,
        artifacts / "browser-supervisor-hub.log",
        rasa_url=rasa_url,
        rasa_timeout="5",
        unset=("REDIS_URL", "AUTO_ASSIGN", "MASK_PII_FOR_SUPERVISORS", "CSI_WEIGHTS"),
    )
    hub = Hub(url=url, database_url=database_url)
    try:
        add_users_cli(
            database_url,
            [("sam@example.com", "Sam", "supervisor"), ("dana@example.com", "Dana", "agent")],
            PASSWORD,
            timeout=300,
        )
        hub.demo_history = demo_history(database_url)
        seed(browser, hub)
        yield hub
    finally:
        stop_hub(process)


@pytest.fixture
def new_page(browser: Browser, hub: Hub) -> Iterator[Callable[[], Page]]:
    """Opens pages, each in a fresh browser context; fails the test on JavaScript errors."""
    pages = PageOpener(browser, hub.url, accept_downloads=True)
    yield pages.open
    pages.close()


# ------------------------------------------------------------------------------------ helpers


def sign_in(page: Page, email: str = "sam@example.com") -> None:
    """Signs in through the sign-in page, as a person would, and waits for the dashboard."""
    page.goto("/supervisor")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fsupervisor|/login\?next=/supervisor"))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/supervisor"))
    expect(page.locator("#kpi-conversations .kpi-value")).not_to_have_attribute("data-value", "")


def period(page: Page) -> dict[str, str]:
    return {
        "from": page.locator("#period-from").input_value(),
        "to": page.locator("#period-to").input_value(),
    }


def api_get(page: Page, path: str, **params) -> dict:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    response = page.request.get(path + ("?" + query if query else ""))
    assert response.ok, response.text()
    return response.json()


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=re.compile(name)).click()
    expect(page.get_by_role("tab", name=re.compile(name))).to_have_attribute(
        "aria-selected", "true"
    )


def shown_total(page: Page) -> int:
    return int(page.locator("#conv-count").get_attribute("data-total") or -1)


def js_fixed(value: float, places: int) -> str:
    """``value.toFixed(places)`` as JavaScript does it (the exact binary value, ties up)."""
    exact = Decimal(value).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return f"{exact:.{places}f}"


def js_rate(value: float | None) -> str:
    """The page's rate format (fmtRate): "12.5 %" with a no-break space, a dash for none."""
    return "\u2014" if value is None else js_fixed(value * 100, 1) + "\u00a0%"


def js_signed(value: float) -> str:
    """The page's signed score format (fmtR): "+0.12", "\u22120.31"."""
    return ("+" if value >= 0 else "\u2212") + js_fixed(abs(value), 2)


def direction(delta: dict) -> str:
    change = delta.get("change")
    if change is None or abs(change) < 1e-9:
        return "flat"
    return "up" if change > 0 else "down"


# -------------------------------------------------------------------------------------- tests


def test_supervisor_page_needs_the_supervisor_role(new_page, hub: Hub) -> None:
    page = new_page()
    page.goto("/supervisor")
    expect(page).to_have_url(re.compile(r"/login\?next="))

    staff_login(page.request, "dana@example.com")  # an agent
    response = page.goto("/supervisor")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Supervisors only")).to_be_visible()
    assert page.locator("#kpis").count() == 0  # none of the console is served
    assert page.request.get("/api/reports/summary").status == 403
    assert page.request.get("/api/conversations").status == 403


def test_dashboard_shows_the_figures_of_the_api(new_page, hub: Hub, artifacts: Path) -> None:
    page = new_page()
    sign_in(page)
    report = api_get(page, "/api/reports/summary", **period(page))
    assert report["conversations"]["total"] >= 7, "the seeded history is missing"

    def value(key: str):
        return page.locator(f"#kpi-{key} .kpi-value")

    expect(value("conversations")).to_have_attribute(
        "data-value", str(report["conversations"]["total"])
    )
    expect(value("conversations")).to_have_text(f"{report['conversations']['total']:,}")
    expect(value("handoffs")).to_have_attribute("data-value", str(report["handoffs"]["total"]))
    # The page rounds like JavaScript's toFixed: the exact binary value, ties up
    # (3.625 -> 3.63, where Python's format gives 3.62).
    average = Decimal(report["csat"]["average"]).quantize(Decimal("0.01"), ROUND_HALF_UP)
    expect(value("csat_average")).to_have_text(str(average))
    expect(value("sla_breaches")).to_have_attribute(
        "data-value", str(report["sla"]["breached_tickets"])
    )
    containment = report["outcomes"]["containment_rate"]
    expect(value("containment_rate")).to_contain_text(f"{containment * 100:.1f}")
    # every figure has its "how computed" note and its comparison with the previous period
    how = page.locator("#kpi-conversations .how-tip")
    expect(how).to_have_text(report["how"]["conversations"])
    page.locator("#kpi-conversations .how-btn").focus()
    expect(how).to_be_visible()
    expect(page.locator("#kpi-conversations .kpi-delta .delta")).to_have_count(1)

    # the charts are drawn: points for each day of both periods, a bar per hand-off reason
    days = len(report["conversations"]["per_day"])
    expect(page.locator("#card-conversations circle.chart-point")).to_have_count(2 * days)
    expect(page.locator("#card-conversations path.chart-line")).to_have_count(2)
    expect(page.locator("#card-handoffs rect.chart-bar")).to_have_count(
        len(report["handoffs"]["by_reason"])
    )
    expect(page.locator("#card-csat rect.chart-bar")).to_have_count(5)
    expect(page.locator("#card-outcomes rect.chart-bar")).to_have_count(5)
    chart = page.locator("#card-conversations svg[role=img]")
    expect(chart).to_have_accessible_name(re.compile("Conversations per day"))
    first_day = report["conversations"]["per_day"][0]
    point = page.locator("#card-conversations circle.chart-point title").first
    assert point.text_content() == f"This period \u2014 {first_day['date']}: {first_day['count']}"
    top = report["top_intents"][0]
    expect(page.locator("#card-intents tbody tr").first).to_contain_text(top["intent"])

    # the live queue: Dan is waiting
    live = api_get(page, "/api/queue")
    assert live["tickets"], "Dan's hand-off should be waiting"
    expect(page.locator("#live-queue")).to_have_text(str(len(live["tickets"])))
    expect(page.locator("#connection-state")).to_have_text("Live")

    page.keyboard.press("Escape")  # closes the note again
    expect(how).to_be_hidden()
    page.screenshot(path=str(artifacts / "supervisor-dashboard.png"), full_page=True)

    # the same page in Simplified Chinese (texts from the console's translation table)
    page.goto("/supervisor?lang=zh-CN")
    expect(page.get_by_role("tab", name="概览")).to_have_attribute("aria-selected", "true")
    expect(value("conversations")).to_have_attribute(
        "data-value", str(report["conversations"]["total"])
    )
    expect(page.locator("#kpi-conversations .kpi-label")).to_contain_text("对话数")


def test_filters_change_the_transcript_list_and_a_transcript_shows_the_nlu(
    new_page, hub: Hub
) -> None:
    page = new_page()
    sign_in(page)
    open_tab(page, "Transcripts")
    span = period(page)
    everything = api_get(page, "/api/conversations", **span)["total"]
    expect(page.locator("#conv-count")).to_have_attribute("data-total", str(everything))

    expect(page.locator("#conv-rows")).to_contain_text(XSS_TEXT)  # markup shown as text
    assert page.locator("#conv-rows img").count() == 0

    # full-text search: only the conversations that mention the word
    page.get_by_label("Search the transcripts").fill(SEARCH_WORD)
    page.get_by_role("button", name="Search", exact=True).click()
    found = api_get(page, "/api/conversations", q=SEARCH_WORD, **span)
    expect(page.locator("#conv-count")).to_have_attribute("data-total", str(found["total"]))
    assert 3 <= found["total"] < everything
    expect(page.locator("#conv-rows tr.conv-row")).to_have_count(min(found["total"], 25))
    expected = {c["session_id"] for c in found["conversations"]}
    shown = set(
        page.locator("#conv-rows tr.conv-row").evaluate_all(
            "rows => rows.map(r => r.dataset.session)"
        )
    )
    assert shown == expected
    csv_link = page.locator("#csv-conversations").get_attribute("href") or ""
    assert f"q={SEARCH_WORD}" in csv_link

    # one more filter narrows it further: only those handed off
    page.get_by_label("Bot or agent").select_option("false")
    escalated = api_get(page, "/api/conversations", q=SEARCH_WORD, contained="false", **span)
    expect(page.locator("#conv-count")).to_have_attribute("data-total", str(escalated["total"]))
    assert escalated["total"] < found["total"]

    # Cleo's complaint: the customer turn with its intent and confidence, the ticket beside it
    page.locator(f'#conv-rows tr[data-session="{hub.sessions["cleo"]}"]').click()
    detail = page.locator("#conv-detail")
    turn = detail.locator('li.msg[data-sender="customer"]', has_text=LABELLED_TEXT)
    expect(turn.locator(".nlu-intent")).to_have_text("nlu_fallback 0.31")
    expect(turn.locator(".nlu-emotion")).to_be_visible()
    expect(detail.locator("li.msg[data-sender=agent]").first).to_be_visible()
    expect(detail.locator(".complaint")).to_contain_text("Thermos lid broke")
    expect(detail.locator(".note")).to_contain_text("Check the supplier batch.")
    expect(detail.locator(".detail-rating")).to_contain_text("1/5")

    # a contained chat: each customer turn with its intent
    page.get_by_role("button", name="Reset filters").click()
    page.get_by_label("Search the transcripts").fill(hub.sessions["ann"])
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#conv-count")).to_have_attribute("data-total", "1")
    page.locator("#conv-rows tr.conv-row").first.click()
    intents = page.locator('#detail-transcript li.msg[data-sender="customer"] .nlu-intent')
    expect(intents).to_have_text(["greet 0.98", "check_order_status 0.93", "thank 0.95"])
    expect(page.locator("#detail-transcript .nlu-entity")).to_have_text("order_number=NW-104233")

    # an improvement action opened from the transcript carries its link as the source
    page.get_by_role("button", name="Open improvement action").click()
    expect(page.get_by_role("tab", name=re.compile("Actions"))).to_have_attribute(
        "aria-selected", "true"
    )
    source = page.get_by_label("Source (report or transcript link)")
    expect(source).to_have_value(re.compile(r"/supervisor#transcript=" + hub.sessions["ann"]))
    page.locator("#action-form").get_by_label("Title").fill(
        "Explain delivery times before customers ask"
    )
    page.get_by_label("Responsible department").fill("Support")
    page.get_by_label("Owner").fill("Bot trainer")
    page.get_by_label("Acceptance criteria").fill("Order-status questions down 20 %")
    page.get_by_role("button", name="Create action").click()
    item = page.locator("#action-list li.action", has_text="Explain delivery times")
    expect(item).to_be_visible()
    item.get_by_role("combobox").select_option("in_progress")
    expect(
        page.locator("#action-list li.action--in_progress", has_text="Explain delivery")
    ).to_be_visible()


def test_nlu_review_labels_and_downloads_valid_yaml(new_page, hub: Hub) -> None:
    page = new_page()
    sign_in(page)
    today = api_get(page, "/api/reports/summary")["period"]["to"]
    page.locator("#period-from").fill(today)
    page.locator("#period-to").fill(today)
    page.get_by_role("button", name="Apply").click()
    open_tab(page, "Improve")

    review = api_get(page, "/api/nlu/review", **{"from": today, "to": today, "limit": 100})
    assert any(LABELLED_TEXT in group["examples"] for group in review["groups"])
    group = page.locator("li.review-group", has_text=LABELLED_TEXT)
    expect(group).to_contain_text("nlu_fallback")

    # a label the domain does not know: the API's message is shown and nothing is stored
    nonsense = page.locator(f'li.review-group[data-key="{NONSENSE_TEXT}"]')
    nonsense.get_by_label("Intent or FAQ topic").fill("no_such_intent")
    nonsense.get_by_role("button", name="Label", exact=True).click()
    expect(nonsense.get_by_role("alert")).to_contain_text("label must be an intent")
    nonsense.get_by_role("button", name="Not in scope").click()
    expect(nonsense).to_have_count(0)

    group.get_by_label("Intent or FAQ topic").fill("file_complaint")
    group.get_by_role("button", name="Label", exact=True).click()
    expect(group).to_have_count(0)
    expect(page.locator("#label-list")).to_contain_text(LABELLED_TEXT)

    with page.expect_download() as info:
        page.get_by_role("link", name="Download NLU YAML").click()
    download = info.value
    assert download.suggested_filename.endswith(".yml")
    data = yaml.safe_load(Path(download.path()).read_text(encoding="utf-8"))
    blocks = {item["intent"]: item["examples"] for item in data["nlu"]}
    assert f"- {LABELLED_TEXT}" in blocks["file_complaint"].splitlines()
    assert any(NONSENSE_TEXT in line for line in blocks["out_of_scope"].splitlines())


def test_dashboard_shows_the_decisions_and_the_answer_helpfulness(new_page, hub: Hub) -> None:
    page = new_page()
    sign_in(page)
    # Eve's chat added exactly its turns and ratings to the day's figures
    day = api_get(page, "/api/reports/summary", **{"from": hub.today, "to": hub.today})
    before = hub.before_eve
    for name, added in EVE_DECISIONS.items():
        assert day["decisions"][name] - before["decisions"][name] == added, name
    turns = day["decisions"]["customer_turns"] - before["decisions"]["customer_turns"]
    assert turns == sum(EVE_DECISIONS.values())
    for name, added in EVE_HELPFULNESS.items():
        assert day["helpfulness"][name] - before["helpfulness"][name] == added, name

    report = api_get(page, "/api/reports/summary", **period(page))
    decisions, helpfulness = report["decisions"], report["helpfulness"]
    assert decisions["declined"] >= 2 and decisions["clarified"] >= 1
    assert helpfulness["helpful"] >= 1 and helpfulness["unhelpful"] >= 1
    assert decisions["declined_rate"] == pytest.approx(
        decisions["declined"] / decisions["customer_turns"], abs=1e-4
    )
    of_turns = f" of {decisions['customer_turns']:,} turns"
    cards = {
        "declined_rate": (
            "Declined",
            decisions["declined_rate"],
            "decisions",
            f"{decisions['declined']:,}{of_turns}",
        ),
        "clarification_rate": (
            "Clarified",
            decisions["clarification_rate"],
            "decisions",
            f"{decisions['clarified']:,}{of_turns}",
        ),
        "helpfulness_rate": (
            "Answer helpfulness",
            helpfulness["rate"],
            "helpfulness",
            f"\U0001f44d {helpfulness['helpful']:,} \u00b7 \U0001f44e {helpfulness['unhelpful']:,}",
        ),
    }
    for key, (title, value, how, sub) in cards.items():
        card = page.locator(f"#kpi-{key}")
        expect(card.locator(".kpi-label > span").first).to_have_text(title)
        expect(card.locator(".kpi-value")).to_have_text(js_rate(value))
        expect(card.locator(".kpi-sub")).to_have_text(sub)
        expect(card.locator(".how-tip")).to_have_text(report["how"][how])
        expect(card.locator(".kpi-delta .delta")).to_have_attribute(
            "data-direction", direction(report["deltas"][key])
        )
    # fewer declined turns is better, more helpful answers is better (the delta's colour)
    for key, better in (("declined_rate", "down"), ("helpfulness_rate", "up")):
        way = direction(report["deltas"][key])
        quality = "flat" if way == "flat" else "good" if way == better else "bad"
        if report["deltas"][key]["change"] is None:
            quality = "none"
        expect(page.locator(f"#kpi-{key} .delta")).to_have_class(re.compile(f"delta--{quality}"))

    # the breakdown beside the outcomes
    breakdown = page.locator("#card-outcomes #decisions")
    expect(breakdown.locator("dt")).to_have_text(
        ["answered", "clarified", "declined", "handed off"]
    )
    for name in ("answered", "clarified", "declined", "handed_off"):
        count = decisions[name]
        shown = f"{count:,} ({js_rate(count / decisions['customer_turns'])})"
        expect(breakdown.locator(f'[data-decision="{name}"] dd')).to_have_text(shown)
    expect(breakdown.locator(".how-tip")).to_have_text(report["how"]["decisions"])

    page.goto("/supervisor?lang=zh-CN")
    expect(page.locator("#kpi-declined_rate .kpi-label > span").first).to_have_text("拒答率")
    expect(page.locator("#kpi-helpfulness_rate .kpi-value")).to_have_text(
        js_rate(helpfulness["rate"])
    )
    expect(page.locator("#decisions dt")).to_have_text(["已回答", "已澄清", "已拒答", "已转人工"])


def test_a_transcript_shows_each_decision_the_gate_and_the_answer_ratings(
    new_page, hub: Hub, artifacts: Path
) -> None:
    page = new_page()
    sign_in(page)
    session = hub.sessions["eve"]
    data = api_get(page, f"/api/conversations/{session}")
    said = [m for m in data["messages"] if m["sender"] == "customer"]
    assert [m["decision"] for m in said] == [
        "answered",
        "answered",
        "declined",
        "declined",
        "clarified",
        "answered",
        "answered",
    ]
    rated = [m["helpful"] for m in data["messages"] if m.get("rateable")]
    assert rated == [False, True, None]

    page.goto(f"/supervisor#transcript={session}")
    detail = page.locator("#detail-transcript")

    def turn(text: str):
        exact = page.locator(".msg-text", has_text=re.compile(f"^{re.escape(text)}$"))
        return detail.locator('li.msg[data-sender="customer"]').filter(has=exact)

    expect(detail.locator('li.msg[data-sender="customer"] .nlu-decision')).to_have_text(
        ["answered", "answered", "declined", "declined", "clarified", "answered", "answered"]
    )
    expect(turn(TEAPOT_RETURN).locator(".nlu-decision")).to_have_class(re.compile("badge--ok"))
    expect(turn(TEAPOT_RETURN).locator(".nlu-faq")).to_have_text("FAQ return_policy 0.74")
    expect(turn(TEAPOT_RETURN).locator(".nlu-ood")).to_have_text(
        "off-topic score " + js_signed(-0.31)
    )
    expect(turn(TEAPOT_RETURN_AGAIN).locator(".nlu-decision")).to_have_class(
        re.compile("badge--bad")
    )
    expect(turn(TEAPOT_RETURN_AGAIN).locator(".nlu-ood")).to_have_count(0)
    off_topic = turn(TEAPOT_OFF_TOPIC)
    expect(off_topic.locator(".nlu-intent")).to_have_text("out_of_scope 0.90")
    expect(off_topic.locator(".nlu-decision")).to_have_text("declined")
    expect(off_topic.locator(".nlu-faq")).to_have_count(0)
    expect(off_topic.locator(".nlu-ood")).to_have_text(
        "off-topic score +0.12 \u00b7 closer to off-topic text than to shop questions"
    )
    expect(off_topic.locator(".nlu-ood")).to_have_attribute("data-reason", "closer_to_off_topic")
    expect(turn(TEAPOT_CLARIFY).locator(".nlu-faq")).to_have_text("FAQ delivery_time 0.41")
    expect(turn(TEAPOT_DELIVERY).locator(".nlu-faq")).to_have_text("FAQ shipping_cost 0.91")
    # the answers the customer could rate, each with the rating (or none)
    expect(detail.locator('li.msg[data-sender="bot"] .msg-feedback')).to_have_text(
        ["\U0001f44e not helpful", "\U0001f44d helpful", "not rated"]
    )
    expect(detail.locator('li.msg[data-sender="bot"] .msg-feedback')).to_have_count(3)
    answer = detail.locator('li.msg[data-sender="bot"]', has_text="Delivery is free")
    expect(answer.locator(".msg-feedback")).to_have_attribute("data-helpful", "helpful")
    page.screenshot(path=str(artifacts / "supervisor-transcript-decisions.png"), full_page=True)

    page.goto(f"/supervisor?lang=zh-CN#transcript={session}")
    expect(turn(TEAPOT_OFF_TOPIC).locator(".nlu-decision")).to_have_text("已拒答")
    expect(turn(TEAPOT_OFF_TOPIC).locator(".nlu-ood")).to_have_text(
        "离题分数 +0.12 \u00b7 更接近离题内容而非店铺问题"
    )
    expect(detail.locator('li.msg[data-sender="bot"] .msg-feedback')).to_have_text(
        ["\U0001f44e 没有帮助", "\U0001f44d 有帮助", "未评价"]
    )


def test_nlu_review_says_why_each_group_is_listed(new_page, hub: Hub, artifacts: Path) -> None:
    page = new_page()
    sign_in(page)
    page.locator("#period-from").fill(hub.today)
    page.locator("#period-to").fill(hub.today)
    page.get_by_role("button", name="Apply").click()
    open_tab(page, "Improve")

    params = {"from": hub.today, "to": hub.today, "limit": 100, "threshold": 0.6}
    review = api_get(page, "/api/nlu/review", **params)
    groups = {text: group for group in review["groups"] for text in group["examples"]}
    expected = {
        # one 👎 answer and one declined turn, grouped as the same wording
        TEAPOT_RETURN: ({"unhelpful": 1, "declined": 1}, ["declined 1", "unhelpful 1"]),
        TEAPOT_OFF_TOPIC: ({"declined": 1}, ["declined 1"]),
        TEAPOT_CLARIFY: ({"low_confidence": 1}, ["low confidence 1"]),
    }
    for text, (why, shown) in expected.items():
        assert groups[text]["why"] == why, text
        group = page.locator(f'li.review-group[data-key="{groups[text]["key"]}"]')
        expect(group.locator(".rg-why-item")).to_have_text(shown)
        expect(group.locator(".rg-why")).to_contain_text("Listed because:")
    assert TEAPOT_DELIVERY not in groups  # understood, answered and rated helpful
    # every group on the page shows its reasons with the API's counts
    first = review["groups"][0]
    shown_counts = (
        page.locator("li.review-group")
        .first.locator(".rg-why-item")
        .evaluate_all("items => items.map(i => [i.dataset.why, Number(i.dataset.count)])")
    )
    assert dict(shown_counts) == first["why"]
    page.screenshot(path=str(artifacts / "supervisor-review-why.png"), full_page=True)

    page.goto("/supervisor?lang=zh-CN#improve")
    group = page.locator(f'li.review-group[data-key="{groups[TEAPOT_RETURN]["key"]}"]')
    expect(group.locator(".rg-why-item")).to_have_text(["拒答 1", "没有帮助 1"])
