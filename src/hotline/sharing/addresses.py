"""Where a push may be sent: the guard against a receiver URL that points back inside the platform
(SSRF). The platform POSTs to whatever address an administrator typed, from a server that can reach
services nobody outside should: itself (127.0.0.1, ::1), the link-local network (169.254.x.x, fe80::) and
the cloud's metadata service, which hands out the server's credentials.

The host is resolved and *every* address it gives must be allowed — a DNS name that resolves to 127.0.0.1
is refused like the literal. Checked when the URL is saved and again before each POST (a name's records
can change after it was saved). The POST then connects to an address that check returned (`pinned`), not
to the name: resolving it again at connect time would let a DNS server answer a public address to the
check and 127.0.0.1 to the connection (DNS rebinding).

`HOTLINE_SHARE_PUSH_NETWORKS` says what is allowed:
* `private` (default): the internet and the private ranges (10/8, 172.16/12, 192.168/16, 100.64/10,
  fc00::/7) — departments' systems sit on the government intranet;
* `public`: the internet only (a platform hosted where the private ranges are someone else's);
* `any`: also loopback, link-local and metadata (a receiver on the same machine, development).
Unspecified (0.0.0.0, ::), multicast, broadcast and reserved addresses are never a receiver."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import httpx

from hotline.errors import DomainError

Networks = Literal["public", "private", "any"]
IP = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port → the addresses a connection would try (socket.getaddrinfo's); tests put a table here.
Resolver = Callable[[str, int], list[str]]

# Cloud metadata services: AWS/Azure/GCP/华为云/腾讯云 (link-local anyway, named here for the message),
# 阿里云 (100.100.100.200: in 100.64/10, otherwise allowed as private), AWS over IPv6 (in fc00::/7).
METADATA = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "169.254.0.23", "100.100.100.200", "fd00:ec2::254"))
# The intranet: what `public` refuses besides the rest (named, not ipaddress's is_private, which also
# holds the documentation and benchmarking ranges).
INTRANET = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"))


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refusal(ip: IP, networks: Networks) -> str | None:
    """Why a connection to `ip` is refused (in Chinese, for the administrator), or None."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if ip.is_unspecified:
        return "未指定地址"
    if ip.is_multicast or ip == ipaddress.IPv4Address("255.255.255.255"):
        return "组播或广播地址"
    if ip in METADATA or ip.is_loopback or ip.is_link_local:
        if networks == "any":
            return None  # ::1 sits in a reserved IPv6 range: allowed here before that test
        return "云平台元数据服务地址" if ip in METADATA else "本机回环地址" if ip.is_loopback else "链路本地地址"
    if ip.is_reserved:
        return "保留地址"
    if networks == "public" and any(ip in net for net in INTRANET):
        return "内网地址（HOTLINE_SHARE_PUSH_NETWORKS=public 只允许公网地址）"
    return None


def check(url: str, *, networks: Networks, resolve: Resolver | None = None) -> list[str]:
    """Raise a DomainError (Chinese) unless every address the URL's host resolves to is allowed; the
    addresses (in the resolver's order of preference), to connect to with `pinned`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        ips: list[IP] = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            found = (resolve or system_resolver)(host, parts.port or (443 if parts.scheme == "https" else 80))
        except (OSError, UnicodeError):
            found = []
        if not found:
            raise DomainError("push_url_unresolvable", f"推送地址的主机名 {host} 无法解析，请检查域名") from None
        ips = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]  # fe80::1%eth0: the zone dropped
    for ip in ips:
        reason = refusal(ip, networks)
        if reason:
            via = "" if str(ip) == host else f"（{host} 解析为 {ip}）"
            raise DomainError("push_url_internal", f"推送地址不能指向{reason}{via}：为防止请求平台内部服务，已拒绝")
    return [str(ip) for ip in ips]


@dataclass(frozen=True)
class Pinned:
    """A request to `url` that connects to one checked address: the URL's host replaced by the address,
    the name kept where the receiver reads it — the Host header, and for https the TLS server name
    (SNI), against which the certificate is verified (httpcore's `sni_hostname`)."""

    url: httpx.URL
    host: str  # the Host header: the URL's host[:port] as typed
    extensions: dict[str, str]


def pinned(url: str, address: str) -> Pinned:
    parts = httpx.URL(url)
    extensions = {"sni_hostname": parts.host} if parts.scheme == "https" else {}
    return Pinned(url=parts.copy_with(host=address), host=parts.netloc.decode("ascii"), extensions=extensions)
