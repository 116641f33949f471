"""Where unicx may connect on a marketer's behalf: the SSRF guard of every outbound channel.

A webhook URL, an SMS/push provider URL or an SMTP host is text a marketer types, and the
server connects to it from inside the network. Pointed at ``127.0.0.1``, ``169.254.169.254``
(cloud metadata) or ``10.x``, it would reach services no customer should see. So a host is
resolved first and *every* address it resolves to must be public (``ipaddress``: globally
routable, not multicast), unless the ``outbound_allow`` setting lists the host or a network
holding the address (on-premise gateways). Resolving with the system resolver also turns
``2130706433``, ``0x7f.1`` or ``0177.0.0.1`` into the address they really mean.

The connection then goes to the address that was checked (:func:`pinned_request` for HTTP,
:mod:`unicx.channels.email` for SMTP), never to a second lookup of the name: a DNS server that
answers a public address to the check and ``127.0.0.1`` to the connect (DNS rebinding) gains
nothing. TLS still verifies the certificate against the name (SNI and ``Host`` are kept).
"""

from __future__ import annotations

import ipaddress
import smtplib
import socket
from collections.abc import Sequence
from typing import Any

import httpx

from unicx.channels.base import RetryableSendError, TerminalSendError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Prefixes that carry an IPv4 address a gateway would forward to: IPv4-compatible (::a.b.c.d)
# and NAT64 (64:ff9b::/96). IPv4-mapped (::ffff:a.b.c.d) has ipv4_mapped in the stdlib.
_EMBEDDING = (ipaddress.ip_network("::/96"), ipaddress.ip_network("64:ff9b::/96"))


class OutboundRefusedError(TerminalSendError):
    """The destination is a loopback, private, link-local, metadata or other internal address
    that ``outbound_allow`` does not list."""

    code = "outbound_refused"


def _embedded_v4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if any(ip in net for net in _EMBEDDING) and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """Globally routable unicast: not loopback, private (RFC 1918, unique-local), link-local
    (metadata at 169.254.169.254), CGNAT (100.64/10), multicast, unspecified or reserved."""
    inner = _embedded_v4(ip)
    if inner is not None:
        return is_public(inner)
    return ip.is_global and not ip.is_multicast


def _allowed(host: str, ip: IPAddress, allow: Sequence[str]) -> bool:
    for entry in allow:
        if entry.lower() == host.lower():
            return True
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:  # a host name entry
            continue
    return False


def _lookup(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        # A name that does not resolve now may resolve later (a DNS outage): try again.
        raise RetryableSendError(f"cannot resolve host {host[:100]!r}: {exc}") from None
    # Scope ids (fe80::1%eth0) are dropped: the address decides, not the interface.
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def resolve(host: str, port: int, *, allow: Sequence[str], what: str) -> str:
    """The address to connect to for ``host``: OutboundRefusedError when any address it
    resolves to is internal and not allow-listed (a name with one public and one private
    address is refused: which one a client picks is not ours to guess)."""
    addresses = _lookup(host.strip("[]"), port)
    for ip in addresses:
        if not is_public(ip) and not _allowed(host, ip, allow):
            raise OutboundRefusedError(
                f"{what} {host[:100]} resolves to {ip}, an internal address (loopback, "
                "private, link-local or metadata); an administrator can allow it with the "
                "outbound_allow setting"
            )
    return str(addresses[0])


def host_port(url: httpx.URL) -> tuple[str, int]:
    """An http(s) URL's host (IDNA-encoded, as DNS has it) and port."""
    return url.raw_host.decode("ascii"), url.port or (443 if url.scheme == "https" else 80)


def check_url(url: httpx.URL, *, allow: Sequence[str], what: str) -> str:
    """``resolve`` for an http(s) URL's host and port."""
    host, port = host_port(url)
    return resolve(host, port, allow=allow, what=what)


def pinned_request(
    client: httpx.Client, method: str, url: str, *, allow: Sequence[str], what: str, **kw: Any
) -> Any:
    """``client.stream(...)`` to the checked address of ``url``'s host, the ``Host`` header
    and TLS name (SNI, certificate check) still the name. Redirects are never followed (the
    client is built so): a 3xx is an answer like any other, so a receiver cannot bounce the
    request to an internal address."""
    parsed = httpx.URL(url)
    address = check_url(parsed, allow=allow, what=what)
    headers = {**kw.pop("headers", {}), "Host": parsed.netloc.decode("ascii")}
    name = parsed.raw_host.decode("ascii")  # IDNA-encoded, as DNS and certificates have it
    extensions = {"sni_hostname": name} if parsed.scheme == "https" else {}
    target = parsed.copy_with(host=address)
    return client.stream(method, target, headers=headers, extensions=extensions, **kw)


def check_destination(host: str, port: int, *, allow: Sequence[str], what: str) -> str | None:
    """Save-time check: the refusal message, or None. A host that does not resolve here is
    accepted (its DNS may not exist yet, or only inside the network); send time checks again."""
    try:
        resolve(host, port, allow=allow, what=what)
    except OutboundRefusedError as exc:
        return exc.message
    except RetryableSendError:
        return None
    return None


def check_url_destination(url: str, *, allow: Sequence[str], what: str) -> str | None:
    """:func:`check_destination` for a URL (None for one that does not parse: the URL's own
    validation reports that)."""
    try:
        host, port = host_port(httpx.URL(url))
    except (httpx.InvalidURL, TypeError):
        return None
    return check_destination(host, port, allow=allow, what=what) if host else None


class PinnedSMTP(smtplib.SMTP):
    """Connects to the address :func:`resolve` checked, not to a fresh lookup of the host
    (DNS rebinding). Built with ``host=`` the name: smtplib keeps it as ``_host``, which
    STARTTLS sends as SNI and verifies the certificate against."""

    def __init__(self, address: str, **kwargs: Any) -> None:
        self._address = address
        super().__init__(**kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return socket.create_connection((self._address, port), timeout, self.source_address)


class PinnedSMTPSSL(smtplib.SMTP_SSL):
    """Implicit TLS to the checked address, SNI and certificate check on the host name."""

    def __init__(self, address: str, **kwargs: Any) -> None:
        self._address = address
        super().__init__(**kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        raw = socket.create_connection((self._address, port), timeout, self.source_address)
        # ``host`` is the name given to connect(): SNI and the certificate check use it.
        return self.context.wrap_socket(raw, server_hostname=host)
