"""The handed-off part of a demo conversation: the ticket (and a complaint's record), the
customers who give up waiting, the agent's conversation with business-hours response times
drawn per priority, and the SLA warnings and breaches that follow from them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .corpus import (
    AGENT_LINES,
    CATEGORY_TEAM,
    COMPLAINTS,
    CUSTOMER_LINES,
    MEDIAN_FIRST_RESPONSE,
    NOTES,
    PRODUCTS,
    REQUEST_HUMAN_TEXTS,
)


class HandoffTurns:
    """A ticket and its agent conversation (mixed into ``History``, which holds the state)."""

    def handoff(self, cid: int, conv: dict, when: datetime) -> tuple[datetime, dict]:
        reason = self.pick(self.reasons)
        emotion = None
        kind, category, priority = (
            "escalation",
            None,
            self.rng.choice(("P3", "P3", "P3", "P4", "P2")),
        )
        complaint = None
        if reason == "requested":
            when = self.simple_turn(
                cid,
                when,
                ("request_human",),
                REQUEST_HUMAN_TEXTS,
                "Of course, I'm passing you to a person.",
                decision="handed_off",
            )
            category = self.rng.choice(("delivery", "billing", "technical", None))
        elif reason == "fallback":
            when = self.unhelped_turn(cid, when)
            when = self.unhelped_turn(cid, when, emotion="frustrated", decision="handed_off")
        elif reason == "sentiment":
            emotion = "angry"
            when = self.unhelped_turn(cid, when, emotion=emotion, decision="handed_off")
        elif reason == "order_lookup_failed":
            when = self.order_turn(cid, when, found=False)
            when = self.order_turn(cid, when, found=False, decision="handed_off")
            category = "delivery"
        else:  # complaint
            kind = "complaint"
            category = self.pick(self.categories)
            emotion = self.rng.choice(("angry", "frustrated", None))
            priority = "P1" if self.rng.random() < 0.05 else "P2"
            description = self.rng.choice(COMPLAINTS[category]).format(
                product=self.rng.choice(PRODUCTS)
            )
            number = self.order_number() if self.rng.random() < 0.7 else None
            if number:
                description += f" Order {number}."
            when = self.simple_turn(
                cid,
                when,
                ("file_complaint", "complaint"),
                [description],
                "I'm sorry something went wrong. I'll record your complaint.",
                emotion=emotion,
            )
            when = self.turn(
                cid,
                when,
                description,
                "inform",
                self.rng.uniform(0.6, 0.95),
                "Thank you. I've recorded your complaint.",
                decision="handed_off",
                emotion=emotion,
            )
            complaint = {
                "category": category,
                "description": description,
                "order_number": number,
                "emotion": emotion,
            }
        created = when
        if not self.cal.is_open(created) and kind != "complaint" and self.rng.random() < 0.7:
            kind, reason = "offline", "after_hours"
        team_key = (
            "complaints" if kind == "complaint" else CATEGORY_TEAM.get(category or "", "general")
        )
        tid = self.ids.take("tickets")
        ticket: dict[str, Any] = {
            "id": tid,
            "number": f"T-{tid:06d}",
            "conversation_id": cid,
            "kind": kind,
            "reason": reason,
            "status": "new",
            "priority": priority,
            "summary": None,
            "created_at": created,
            "updated_at": created,
            "team_id": self.staff.teams.get(team_key),
            "assignee_id": None,
            "customer_id": conv["customer_id"],
            "category": category,
            "tags": [],
            "subject": None,
            "customer_name": conv["customer_name"],
            "customer_email": conv["customer_email"],
            "escalated": False,
            "pauses": [],
            "sla_state": "ok",
            "breached": False,
            "reopened_count": 0,
            "first_response_at": None,
            "resolved_at": None,
            "closed_at": None,
            "awaiting_reply_since": created,
        }
        self.rows.tickets.append(ticket)
        conv["handed_off_at"] = created
        self.event(tid, created, "created", None, reason=reason, kind=kind, priority=priority)
        if complaint is not None:
            self.rows.complaints.append(
                {
                    "id": self.ids.take("complaints"),
                    "ticket_id": tid,
                    "stage": "received",
                    "created_at": created,
                    "updated_at": created,
                    **complaint,
                }
            )
        self.message(
            cid,
            created + timedelta(seconds=2),
            "system",
            f"Your ticket number is {ticket['number']}. An agent will reply here.",
        )
        when = created + timedelta(seconds=30)
        # some customers give up waiting (more often out of hours)
        gives_up = self.rng.random() < (0.08 if self.cal.is_open(created) else 0.25)
        if kind != "offline" and gives_up:
            left = created + timedelta(minutes=self.rng.randint(3, 25))
            if left < self.end:
                self.message(cid, left - timedelta(minutes=1), "customer", "hello? anyone there?")
                closed = self.cal.add_business_minutes(created, self.lognormal(240))
                if closed < self.end:
                    ticket.update(status="closed", closed_at=closed, awaiting_reply_since=None)
                    self.event(tid, closed, "status_changed", None, old="new", new="closed")
                return left, ticket
        return self.agent_part(cid, conv, ticket, created), ticket

    def event(self, tid: int, when: datetime, what: str, actor: int | None, **data: Any) -> None:
        self.rows.events.append(
            {
                "id": self.ids.take("ticket_events"),
                "ticket_id": tid,
                "kind": what,
                "actor_id": actor,
                "data": data,
                "created_at": when,
            }
        )

    def sla_events(self, ticket: dict, clock: str, start: datetime, minutes: float) -> None:
        target = self.shop.sla.target(ticket["priority"]).minutes(clock)
        if minutes >= self.shop.sla.warn_at * target:
            at = self.cal.add_business_minutes(start, self.shop.sla.warn_at * target)
            if at < self.end:
                self.event(ticket["id"], at, "sla_warning", None, clocks=[clock])
                ticket["sla_state"] = "warning"
        if minutes > target:
            at = self.cal.add_business_minutes(start, target) + timedelta(minutes=1)
            if at < self.end:
                self.event(ticket["id"], at, "sla_breached", None, clocks=[clock])
                ticket["sla_state"], ticket["breached"] = "breached", True

    def agent_part(self, cid: int, conv: dict, ticket: dict, created: datetime) -> datetime:
        team = next((k for k, v in self.staff.teams.items() if v == ticket["team_id"]), "general")
        agents = self.staff.agents_by_team.get(team) or self.staff.agents_by_team["general"]
        agent_id, agent_name = self.rng.choice(agents)
        minutes = self.lognormal(MEDIAN_FIRST_RESPONSE[ticket["priority"]], 1.1)
        first = self.cal.add_business_minutes(created, minutes)
        self.sla_events(ticket, "first_response", created, minutes)
        ticket["_first_minutes"] = minutes
        if first >= self.end:
            ticket["_waiting"] = True  # still in the queue
            return created
        ticket.update(status="open", assignee_id=agent_id, first_response_at=first)
        conv["agent_id"] = agent_id
        self.event(
            ticket["id"],
            first - timedelta(seconds=40),
            "assigned",
            agent_id,
            assignee=agent_name,
            how="claimed",
        )
        when = first
        lines = AGENT_LINES
        exchanges = 0 if ticket["kind"] == "offline" else self.rng.randint(2, 8)
        for number in range(exchanges + 1):
            line = lines[0].format(agent=agent_name) if number == 0 else self.rng.choice(lines[1:])
            mid = self.message(cid, when, "agent", line, author=agent_id)
            self.event(
                ticket["id"], when, "message", agent_id, message_id=mid, first_response=number == 0
            )
            if number == exchanges:
                break
            asked = when + timedelta(minutes=self.rng.uniform(0.5, 6))
            if asked >= self.end:
                return when
            self.message(cid, asked, "customer", self.rng.choice(CUSTOMER_LINES))
            when = self.cal.add_business_minutes(asked, self.lognormal(3, 0.8))
            if when >= self.end:
                return asked
        if self.rng.random() < 0.2:
            self.event(ticket["id"], when, "note", agent_id, text=self.rng.choice(NOTES))
        work = self.lognormal(600 if ticket["kind"] == "complaint" else 15, 1.0)
        resolved = self.cal.add_business_minutes(when, work)
        total = self.cal.business_minutes_between(created, resolved)
        self.sla_events(ticket, "resolution", created, total)
        if resolved >= self.end:
            return when
        ticket.update(
            status="resolved", resolved_at=resolved, updated_at=resolved, awaiting_reply_since=None
        )
        self.event(
            ticket["id"],
            resolved,
            "status_changed",
            agent_id,
            old="open",
            new="resolved",
            resolution="Resolved in chat.",
        )
        closed = resolved + timedelta(days=3)
        if closed < self.end and self.rng.random() < 0.6:
            ticket.update(status="closed", closed_at=closed)
        return when
