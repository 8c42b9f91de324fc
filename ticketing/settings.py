"""Settings read from environment variables, each with a working default."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

DEV_INTERNAL_TOKEN = "dev-internal-token"
DEFAULT_INTERNAL_PORT = 8081


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    return int(_float(env, name, default))


LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def _environment(env: Mapping[str, str]) -> str:
    raw = (env.get("HELPDESK_ENV") or "").strip().lower()
    if raw not in ("", "development", "production"):
        raise ValueError(f"HELPDESK_ENV must be development or production, got {raw!r}")
    host = env.get("HUB_HOST") or "127.0.0.1"
    if raw == "production" or (not raw and host not in LOOPBACK_HOSTS):
        return "production"
    return "development"


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/helpdesk.db"
    rasa_url: str = "http://127.0.0.1:5005"
    # Rasa's --auth-token (its HTTP API) and the hub channel's token: the same secret
    rasa_token: str | None = None
    hub_url: str = "http://127.0.0.1:8080"
    internal_token: str = DEV_INTERNAL_TOKEN
    redis_url: str | None = None
    rasa_timeout: float = 10.0
    # back-pressure (ticketing/rasa_client.py): turns at Rasa at once, and how long the
    # others may wait for a slot before the customer gets the apology
    rasa_concurrency: int = 8
    rasa_queue_timeout: float = 60.0
    max_message_length: int = 2000
    host: str = "127.0.0.1"
    port: int = 8080
    # The internal API's own listener: loopback, never the public port (``serve`` opens it;
    # HUB_INTERNAL_PORT, default 8081). None (the in-process test client only) serves the
    # internal API on whatever listener the app has.
    internal_host: str = "127.0.0.1"
    internal_port: int | None = None
    default_locale: str = "en"
    supported_locales: tuple[str, ...] = field(default=("en", "zh-CN"))
    shop_file: str | None = None
    cookie_secure: bool = False
    # behind a reverse proxy: take the client's address from X-Forwarded-For (the proxy's
    # last hop); never on a hub that clients reach directly (they could claim any address)
    trust_forwarded_for: bool = False
    # pages that may be framed (the demo page, the survey page): CSP frame-ancestors
    frame_ancestors: str | None = None
    # origins besides the hub's own that may open a staff WebSocket (comma-separated)
    staff_origins: str | None = None
    # webhook hosts allowed although private or loopback (comma-separated)
    webhook_allowed_hosts: str | None = None
    # RATE_LIMITS overrides of ticketing.limits.POLICIES: "session_ip=100/60,..."
    rate_limits: str | None = None
    # HELPDESK_ENV: "development" (the default) or "production"; binding the hub to an address
    # other than loopback implies production
    environment: str = "development"
    # the per-address limits (new chats, sign-ins) and the per-chat message limit for loopback
    # clients too (RATE_LIMIT_LOOPBACK; default: in production only). In development the
    # clients on 127.0.0.1 are test harnesses, load tests and scripted customers; the
    # per-account sign-in lock-out and the look-up limits always apply.
    limit_loopback: bool = False
    # IDENTITY_SECRET: the shop's key for verified identities (ticketing/identity.py)
    identity_secret: str | None = None
    auto_assign: bool = False
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_tls: bool = False
    mail_from: str = "Northwind Goods support <support@northwind.example>"
    worker_interval: float = 5.0
    mask_pii_for_supervisors: bool = False
    # WEBHOOK_MASK_PII: webhook payloads go out with the customers' personal data masked
    webhook_mask_pii: bool = False
    # CHAT_CONSENT_REQUIRED: no customer message before the privacy notice was accepted
    # (``"consent": {"chat": true}`` when the session starts). Default: on in production;
    # off in development, where API clients of the documented contract predate the notice.
    chat_consent_required: bool = False
    # DATA_KEYS (comma-separated Fernet keys, the first encrypts) and DATA_LOOKUP_KEY: the
    # encryption at rest of customers' contact data (ticketing/privacy/crypto.py); unset in
    # development (fixed development keys), refused in production
    data_keys: tuple[str, ...] = ()
    data_lookup_key: str | None = None
    # RETENTION_ENABLED: the worker's daily retention run (ticketing/services/privacy.py)
    retention_enabled: bool = True
    # CSI_WEIGHTS: "speed=0.3,problem_solving=0.4,attitude=0.3" (else shop.yml, else defaults)
    csi_weights: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        environment = _environment(env)
        settings = cls(
            database_url=env.get("DATABASE_URL") or cls.database_url,
            rasa_url=(env.get("RASA_URL") or cls.rasa_url).rstrip("/"),
            rasa_token=env.get("RASA_TOKEN") or None,
            hub_url=(env.get("HUB_URL") or cls.hub_url).rstrip("/"),
            internal_token=env.get("HUB_INTERNAL_TOKEN") or DEV_INTERNAL_TOKEN,
            redis_url=env.get("REDIS_URL") or None,
            rasa_timeout=_float(env, "RASA_TIMEOUT", cls.rasa_timeout),
            rasa_concurrency=_int(env, "RASA_CONCURRENCY", cls.rasa_concurrency),
            rasa_queue_timeout=_float(env, "RASA_QUEUE_TIMEOUT", cls.rasa_queue_timeout),
            max_message_length=_int(env, "MAX_MESSAGE_LENGTH", cls.max_message_length),
            host=env.get("HUB_HOST") or cls.host,
            port=_int(env, "HUB_PORT", cls.port),
            internal_host=env.get("HUB_INTERNAL_HOST") or cls.internal_host,
            internal_port=_int(env, "HUB_INTERNAL_PORT", DEFAULT_INTERNAL_PORT),
            shop_file=env.get("SHOP_FILE") or None,
            cookie_secure=_bool(env, "COOKIE_SECURE", False),
            trust_forwarded_for=_bool(env, "TRUST_X_FORWARDED_FOR", False),
            rate_limits=env.get("RATE_LIMITS") or None,
            environment=environment,
            limit_loopback=_bool(env, "RATE_LIMIT_LOOPBACK", environment == "production"),
            frame_ancestors=env.get("FRAME_ANCESTORS") or None,
            staff_origins=env.get("STAFF_ORIGINS") or None,
            webhook_allowed_hosts=env.get("WEBHOOK_ALLOWED_HOSTS") or None,
            identity_secret=env.get("IDENTITY_SECRET") or None,
            auto_assign=_bool(env, "AUTO_ASSIGN", False),
            smtp_host=env.get("SMTP_HOST") or None,
            smtp_port=_int(env, "SMTP_PORT", 25),
            smtp_user=env.get("SMTP_USER") or None,
            smtp_password=env.get("SMTP_PASSWORD") or None,
            smtp_tls=_bool(env, "SMTP_TLS", False),
            mail_from=env.get("MAIL_FROM") or cls.mail_from,
            worker_interval=_float(env, "WORKER_INTERVAL", cls.worker_interval),
            mask_pii_for_supervisors=_bool(env, "MASK_PII_FOR_SUPERVISORS", False),
            webhook_mask_pii=_bool(env, "WEBHOOK_MASK_PII", False),
            csi_weights=env.get("CSI_WEIGHTS") or None,
            chat_consent_required=_bool(env, "CHAT_CONSENT_REQUIRED", environment == "production"),
            retention_enabled=_bool(env, "RETENTION_ENABLED", True),
            data_keys=tuple(
                k.strip() for k in (env.get("DATA_KEYS") or "").split(",") if k.strip()
            ),
            data_lookup_key=env.get("DATA_LOOKUP_KEY") or None,
        )
        return settings

    @property
    def production(self) -> bool:
        return self.environment == "production"
