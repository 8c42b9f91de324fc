"""Where the hub may send webhooks: not into the network it runs in, unless told so.

A webhook URL is checked when it is saved and again before each delivery (its name may
resolve elsewhere by then): every address its host resolves to must be public. Private
(10/8, 172.16/12, 192.168/16, fc00::/7), loopback, link-local (169.254/16: cloud metadata),
multicast, reserved and unspecified addresses are refused unless the host is listed in
``WEBHOOK_ALLOWED_HOSTS`` (e.g. a receiver on the same private network).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from .errors import invalid


def blocked(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def allowed_hosts(setting: str | None) -> set[str]:
    return {h.strip().lower() for h in (setting or "").split(",") if h.strip()}


async def check_target(url: str, allowed: set[str]) -> None:
    """``Invalid`` when ``url``'s host is (or resolves to) an address the hub must not call."""
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        raise invalid("url must have a host", field="url")
    if host in allowed:
        return
    try:
        addresses = {host} if _is_ip(host) else await _resolve(host)
    except OSError:
        # not resolvable now: nothing to check yet; each delivery checks again (and a name
        # that still does not resolve simply fails to deliver)
        return
    bad = sorted(a for a in addresses if blocked(a))
    if bad:
        raise invalid(
            f"the host {host} is a private, loopback or link-local address ({', '.join(bad)}); "
            "webhooks go to public addresses only (WEBHOOK_ALLOWED_HOSTS lists exceptions)",
            field="url",
        )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def _resolve(host: str) -> set[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return {info[4][0] for info in infos}
