"""Webhook signatures (``ticketing.delivery.sign``/``verify``) and the retry schedule."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import timedelta

import pytest

from ticketing.services.delivery import BASE_DELAY, MAX_DELAY, backoff, sign, verify

SECRET = "whsec-0123456789abcdef"
BODY = b'{"event":"ticket.created","occurred_at":"2024-06-10T08:00:00Z","data":{"n":"T-1"}}'
STAMP = 1718006400


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(SECRET.encode(), f"{STAMP}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, STAMP, BODY) == "sha256=" + expected
    assert sign(SECRET, str(STAMP), BODY.decode()) == sign(SECRET, STAMP, BODY)


def test_a_fresh_signature_verifies():
    now = int(time.time())
    assert verify(SECRET, now, BODY, sign(SECRET, now, BODY))
    assert verify(SECRET, str(now), BODY.decode(), sign(SECRET, now, BODY))
    assert verify(SECRET, STAMP, BODY, sign(SECRET, STAMP, BODY), now=STAMP + 299)


@pytest.mark.parametrize(
    "body",
    [
        BODY.replace(b"T-1", b"T-2"),
        BODY + b" ",
        b"",
    ],
)
def test_a_tampered_body_fails(body):
    assert not verify(SECRET, STAMP, body, sign(SECRET, STAMP, BODY), now=STAMP)


def test_a_wrong_secret_fails():
    assert not verify("not-the-secret", STAMP, BODY, sign(SECRET, STAMP, BODY), now=STAMP)


def test_a_moved_timestamp_fails():
    signature = sign(SECRET, STAMP, BODY)
    assert not verify(SECRET, STAMP + 1, BODY, signature, now=STAMP)


@pytest.mark.parametrize("age", [301, 3600, -301])
def test_a_stale_or_future_timestamp_fails(age):
    signature = sign(SECRET, STAMP, BODY)
    assert not verify(SECRET, STAMP, BODY, signature, now=STAMP + age)
    assert verify(SECRET, STAMP, BODY, signature, tolerance=abs(age), now=STAMP + age)


def test_real_clock_rejects_an_old_request():
    old = int(time.time()) - 600
    assert not verify(SECRET, old, BODY, sign(SECRET, old, BODY))


@pytest.mark.parametrize(
    "timestamp, signature",
    [
        ("", None),
        ("soon", None),
        ("1718006400.5", None),
        ("1_718_006_400", None),
        ("+1718006400", None),
        ("\u0661\u0667\u0661\u0668", None),  # Arabic-Indic digits
        (STAMP, "sha256=\u00e9" + "0" * 63),
        (STAMP, ""),
        (STAMP, "sha1=" + "0" * 40),
        (STAMP, sign(SECRET, STAMP, BODY).removeprefix("sha256=")),
        (STAMP, sign(SECRET, STAMP, BODY).upper()),
    ],
)
def test_malformed_headers_fail(timestamp, signature):
    signature = sign(SECRET, STAMP, BODY) if signature is None else signature
    assert not verify(SECRET, timestamp, BODY, signature, now=STAMP)


def test_backoff_doubles_with_jitter_and_is_capped():
    base = BASE_DELAY.total_seconds()
    for attempts in range(1, 8):
        delay = backoff(attempts).total_seconds()
        expected = base * 2 ** (attempts - 1)
        assert 0.8 * expected <= delay <= 1.2 * expected
    assert backoff(30) <= MAX_DELAY
    assert backoff(1, retry_after=600) >= timedelta(seconds=600)
    assert backoff(1, retry_after=10**9) == MAX_DELAY
