"""Rate limits for test hubs: one test run opens far more chats from 127.0.0.1 than a
customer would, so the suites that are not about limits raise them (tests/unit/test_limits.py
and tests/browser/test_widget_limits.py check the real ones)."""

GENEROUS_LIMITS = (
    "session_ip=10000/60,message_session=10000/60,login_ip=10000/60,"
    "lookup_session=10000/600,feedback_session=10000/60"
)
