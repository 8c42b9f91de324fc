"""The customer turns of a demo conversation the bot answers, with its decisions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .corpus import (
    DECLINE_ANSWER,
    FALLBACK_TEXTS,
    HUMAN_BUTTON,
    OFF_TOPIC_TEXTS,
    OOD_THRESHOLD,
    ORDER_TEXTS,
    SOMETHING_ELSE_BUTTON,
    UNHELPFUL_ANSWER,
    topic_button,
)


class BotTurns:
    """The customer turns the bot answers (mixed into ``History``, which holds the state)."""

    def message(self, cid: int, when: datetime, sender: str, text_: str, **extra: Any) -> int:
        mid = self.ids.take("messages")
        if sender == "customer":
            self.last_customer_message = when
        self.rows.messages.append(
            {
                "id": mid,
                "conversation_id": cid,
                "sender": sender,
                "text": text_,
                "buttons": extra.get("buttons") or [],
                "payload": extra.get("payload"),
                "intent": extra.get("intent"),
                "confidence": extra.get("confidence"),
                "entities": extra.get("entities"),
                "emotion": extra.get("emotion"),
                "decision": extra.get("decision"),
                "ood_score": extra.get("ood_score"),
                "ood_reason": extra.get("ood_reason"),
                "faq_topic": extra.get("faq_topic"),
                "faq_confidence": extra.get("faq_confidence"),
                "rateable": extra.get("rateable", False),
                "helpful": extra.get("helpful"),
                "feedback_at": extra.get("feedback_at"),
                "author_id": extra.get("author"),
                "reply_to_id": extra.get("reply_to"),
                "created_at": when,
            }
        )
        return mid

    def in_domain_score(self) -> float:
        """The out-of-domain gate's score of a message it let through."""
        return round(self.rng.uniform(-0.45, OOD_THRESHOLD - 0.03), 4)

    def turn(
        self,
        cid: int,
        when: datetime,
        text_: str,
        intent: str,
        confidence: float,
        answer: str,
        decision: str = "answered",
        **extra: Any,
    ) -> datetime:
        """A customer message with its NLU result, the bot's decision and answer; the time after.

        Free text gets the gate's in-domain score unless ``ood_score`` is given (``None`` for
        text the gate does not score: with an entity, or a button's payload).
        """
        buttons = extra.pop("buttons", None)
        if "ood_score" not in extra:
            gated = extra.get("entities") is None and extra.get("payload") is None
            extra["ood_score"] = self.in_domain_score() if gated else None
        mid = self.message(
            cid,
            when,
            "customer",
            text_,
            intent=intent,
            confidence=round(confidence, 4),
            decision=decision,
            **extra,
        )
        reply_at = when + timedelta(seconds=self.rng.randint(1, 3))
        rating: dict[str, Any] = {}
        if decision == "answered" and extra.get("faq_topic"):
            rating = self.answer_rating(reply_at, extra.get("faq_confidence"))
        self.message(cid, reply_at, "bot", answer, reply_to=mid, buttons=buttons, **rating)
        if rating.get("helpful") is False:
            # a 👎 in bot mode: the bot offers the next-best topics and a person
            others = self.other_topics(f"faq/{extra['faq_topic']}", 2)
            self.message(
                cid,
                rating["feedback_at"] + timedelta(seconds=1),
                "bot",
                UNHELPFUL_ANSWER,
                reply_to=mid,
                buttons=[*map(topic_button, others), HUMAN_BUTTON],
            )
        return reply_at + timedelta(seconds=self.rng.randint(15, 120))

    def other_topics(self, topic: str, n: int) -> list[str]:
        """``n`` FAQ topics other than ``topic`` (fewer when there are not that many)."""
        others = [name for name in self.faq_topics if name != topic]
        return self.rng.sample(others, min(n, len(others)))

    def answer_rating(self, reply_at: datetime, faq_confidence: float | None) -> dict[str, Any]:
        """A FAQ answer the customer may rate; about a third of them are rated."""
        rated = {"rateable": True}
        if self.rng.random() < 0.35:
            feedback_at = reply_at + timedelta(seconds=self.rng.randint(3, 12))
            helpful_p = 0.55 if faq_confidence is not None and faq_confidence < 0.6 else 0.85
            helpful = self.rng.random() < helpful_p
            if feedback_at < self.end:
                rated.update(helpful=helpful, feedback_at=feedback_at)
        return rated

    def faq_turn(self, cid: int, when: datetime) -> datetime:
        topic = self.rng.choice(self.faq_topics)
        text_ = self.rng.choice(self.corpus.faq[topic])
        name = topic.removeprefix("faq/")
        chance = self.rng.random()
        if chance < 0.03:
            # the selector's best topic is too weak: the gate declines it as off-topic
            return self.turn(
                cid,
                when,
                text_,
                "out_of_scope",
                self.rng.uniform(0.6, 0.9),
                DECLINE_ANSWER,
                decision="declined",
                ood_reason="weak_faq_match",
            )
        if chance < 0.09:
            # two topics too close to choose: "Did you mean ...?", then the customer's pick
            other = self.other_topics(topic, 1)
            faq_confidence = self.rng.uniform(0.3, 0.55)
            when = self.turn(
                cid,
                when,
                text_,
                topic,
                self.rng.uniform(0.5, 0.8),
                "Did you mean one of these?",
                decision="clarified",
                faq_topic=name,
                faq_confidence=round(faq_confidence, 4),
                buttons=[topic_button(topic), *map(topic_button, other), SOMETHING_ELSE_BUTTON],
            )
            button = topic_button(topic)
            return self.turn(
                cid,
                when,
                button["title"],
                topic,
                1.0,
                self.corpus.answers.get(topic) or "Here is what I found.",
                payload=button["payload"],
                faq_topic=name,
                faq_confidence=None,
            )
        low = chance > 0.92  # understood, but not confidently
        confidence = self.rng.uniform(0.45, 0.6) if low else self.rng.uniform(0.7, 0.995)
        faq_confidence = self.rng.uniform(0.35, 0.6) if low else self.rng.uniform(0.65, 0.99)
        answer = self.corpus.answers.get(topic) or "Here is what I found."
        return self.turn(
            cid,
            when,
            text_,
            topic,
            confidence,
            answer,
            faq_topic=name,
            faq_confidence=round(faq_confidence, 4),
        )

    def fallback_turn(
        self, cid: int, when: datetime, emotion: str | None = None, decision: str | None = None
    ) -> datetime:
        """An unclear request (nlu_fallback): the bot asks again or declines it."""
        text_ = self.rng.choice(FALLBACK_TEXTS)
        if self.rng.random() < 0.2:
            text_ += f" {self.order_number()}"
        decision = decision or ("clarified" if self.rng.random() < 0.5 else "declined")
        answer = (
            "Sorry, I didn't quite understand that. Could you rephrase it?"
            if decision == "clarified"
            else "Sorry, I still don't understand. I can connect you with a person."
        )
        return self.turn(
            cid,
            when,
            text_,
            "nlu_fallback",
            self.rng.uniform(0.15, 0.5),
            answer,
            decision=decision,
            emotion=emotion,
        )

    def off_topic_turn(
        self, cid: int, when: datetime, emotion: str | None = None, decision: str = "declined"
    ) -> datetime:
        """Off-topic text: out_of_scope with the gate's score and reason, declined."""
        text_, reason, scored = self.rng.choice(OFF_TOPIC_TEXTS)
        if not scored:
            score = None
        elif reason == "unlike_training":  # no closer to off-topic text, but unlike anything
            score = self.rng.uniform(-0.2, OOD_THRESHOLD - 0.01)
        else:
            score = self.rng.uniform(OOD_THRESHOLD + 0.01, 0.3)
        return self.turn(
            cid,
            when,
            text_,
            "out_of_scope",
            self.rng.uniform(0.6, 0.99),
            DECLINE_ANSWER,
            decision=decision,
            emotion=emotion,
            ood_score=None if score is None else round(score, 4),
            ood_reason=reason,
        )

    def unhelped_turn(self, cid: int, when: datetime, **extra: Any) -> datetime:
        """A request the bot could not help with: off-topic or not understood."""
        if self.rng.random() < 0.5:
            return self.off_topic_turn(cid, when, **extra)
        return self.fallback_turn(cid, when, **extra)

    def simple_turn(
        self,
        cid: int,
        when: datetime,
        names: tuple[str, ...],
        default: list[str],
        answer: str,
        **extra: Any,
    ) -> datetime:
        intent, examples = self.corpus.intent_examples(*names, default=default)
        return self.turn(
            cid,
            when,
            self.rng.choice(examples),
            intent,
            self.rng.uniform(0.8, 0.99),
            answer,
            **extra,
        )

    def order_turn(self, cid: int, when: datetime, found: bool = True, **extra: Any) -> datetime:
        number = self.order_number()
        text_ = self.rng.choice(ORDER_TEXTS).format(order=number)
        answer = (
            f"Your order {number} is on its way with DPD and should arrive in 2 days."
            if found
            else f"I couldn't find an order {number}. Could you check the number?"
        )
        intent = (
            "check_order_status" if "check_order_status" in self.corpus.intents else "order_status"
        )
        return self.turn(
            cid,
            when,
            text_,
            intent,
            self.rng.uniform(0.85, 0.99),
            answer,
            entities=[{"entity": "order_number", "value": number}],
            **extra,
        )
