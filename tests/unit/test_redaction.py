"""Card numbers, security codes and passwords out of customers' messages (issue 12, point 2)."""

from __future__ import annotations

import pytest

from ticketing.redaction import CARD, PASSWORD, SECURITY_CODE, luhn_valid, redact


@pytest.mark.parametrize(
    "text, kinds, kept",
    [
        ("my card is 4111 1111 1111 1111 exp 12/27", (CARD,), "exp 12/27"),
        ("4111-1111-1111-1111", (CARD,), ""),
        ("amex 3782 822463 10005 please", (CARD,), "please"),
        ("5500 0000 0000 0004 and cvc: 999", (CARD, SECURITY_CODE), "and cvc"),
        ("cvv 123", (SECURITY_CODE,), "cvv"),
        ("the security code is 4321", (SECURITY_CODE,), "the security code is"),
        ("my password is hunter2", (PASSWORD,), "my password is"),
        ("password: correcthorse", (PASSWORD,), "password:"),
        ("pin is 1234", (PASSWORD,), "pin is"),
    ],
)
def test_secrets_are_taken_out(text, kinds, kept):
    result = redact(text)
    assert result.kinds == kinds
    assert kept in result.text and "removed]" in result.text
    for secret in ("4111", "3782", "5500", "999", "123", "4321", "hunter2", "correcthorse"):
        assert secret not in result.text or secret in kept, (text, result.text)


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # the check digit is wrong: no card
        "where is my order NW-104233",
        "where is my order 104233",
        "call me on +44 20 7946 0000",
        "0044 20 7946 0000 12",
        "my phone 07946000000",
        "tracking DPD-0923471, ticket T-000123",
        "my password is not working",
        "I forgot my password and can't log in",
        "how do I reset my password?",
        "the security code on the back of the card",
        "I paid £1234.56 on 12/11/2026",
    ],
)
def test_ordinary_messages_are_left_alone(text):
    assert redact(text).text == text and redact(text).kinds == ()


def test_luhn():
    assert luhn_valid("4111111111111111") and luhn_valid("378282246310005")
    assert not luhn_valid("4111111111111112")
