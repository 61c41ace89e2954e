"""Fetching a URL input without becoming a proxy into the private network (SSRF).

Every hop, the first and each redirect, is checked the same way:

1. scheme ``http``/``https``, a host, and (when an allow list is set) a host on it;
2. the host is resolved once, and *every* address must be public: private, loopback,
   link-local (cloud metadata lives there), shared, reserved, multicast and unspecified
   addresses are refused unless the host is named exactly on the allow list;
3. the connection goes to the address that was checked (the URL's host is replaced by it; the
   ``Host`` header and TLS SNI keep the name), so a DNS answer that changes between check and
   connect (DNS rebinding) cannot reach anything else.

Connect and total timeouts apply, and the body is counted while streaming: the transfer stops
as soon as it passes the cap. Proxies from the environment are ignored on purpose.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from docparse.serve.problems import RequestRejected

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class AllowEntry:
    host: str  # lower case; "*.example.com" matches sub-domains
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> AllowEntry:
        raw = text.strip().lower()
        if raw.startswith("["):  # [::1]:8080
            host, _, rest = raw[1:].partition("]")
            port = rest[1:] if rest.startswith(":") else ""
        elif raw.count(":") == 1:
            host, _, port = raw.partition(":")
        else:
            host, port = raw, ""
        return cls(host=host, port=int(port) if port else None)

    def matches(self, host: str, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.host.startswith("*."):
            return host.endswith(self.host[1:])
        return host == self.host

    @property
    def exact(self) -> bool:
        return not self.host.startswith("*.")


@dataclass(frozen=True)
class UrlPolicy:
    allow: tuple[AllowEntry, ...] = ()
    connect_timeout: float = 5.0
    total_timeout: float = 60.0
    max_bytes: int = 50 * 1024 * 1024
    max_redirects: int = 5

    @classmethod
    def from_strings(cls, allow: Sequence[str], **kwargs: float | int) -> UrlPolicy:
        return cls(allow=tuple(AllowEntry.parse(a) for a in allow), **kwargs)  # type: ignore[arg-type]


def forbidden_address(ip: IPAddress) -> bool:
    """True for every address a URL input must not reach by default."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (not ip.is_global) or ip.is_multicast or ip.is_reserved or ip.is_unspecified


@dataclass(frozen=True)
class Target:
    """One checked hop: the URL to request (host replaced by ``address``) and its headers."""

    url: httpx.URL
    host_header: str
    sni: str | None


async def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise RequestRejected("url_fetch_failed", f"cannot resolve {host}: {exc.strerror or exc}") from exc
    out: list[IPAddress] = []
    for info in infos:
        addr = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if addr not in out:
            out.append(addr)
    if not out:
        raise RequestRejected("url_fetch_failed", f"{host} has no address")
    return out


async def check_url(url: httpx.URL, policy: UrlPolicy) -> Target:
    """The hop to connect to for ``url``, or ``url_forbidden`` saying why not."""
    if url.scheme not in ("http", "https"):
        raise RequestRejected("url_forbidden", f"only http and https URLs are fetched, not {url.scheme or 'none'}")
    host = (url.host or "").lower().rstrip(".")
    if not host:
        raise RequestRejected("url_forbidden", "the URL has no host")
    port = url.port or (443 if url.scheme == "https" else 80)
    entries = [e for e in policy.allow if e.matches(host, port)]
    if policy.allow and not entries:
        raise RequestRejected("url_forbidden", f"{host}:{port} is not an allowed host")
    addresses = await _resolve(host, port)
    exact = any(e.exact for e in entries)
    if not exact:
        bad = [a for a in addresses if forbidden_address(a)]
        if bad:
            raise RequestRejected(
                "url_forbidden",
                f"{host} resolves to a private, loopback, link-local or reserved address "
                f"({bad[0]}); allow the host explicitly to fetch from it")
    address = addresses[0]
    netloc_host = f"[{address}]" if address.version == 6 else str(address)
    default_port = 443 if url.scheme == "https" else 80
    host_header = host if port == default_port else f"{host}:{port}"
    if ":" in host and port == default_port:
        host_header = f"[{host}]"
    elif ":" in host:
        host_header = f"[{host}]:{port}"
    return Target(url=url.copy_with(host=netloc_host.strip("[]"), port=port),
                  host_header=host_header, sni=host if url.scheme == "https" else None)


async def fetch_url(url: str, policy: UrlPolicy) -> tuple[bytes, str]:
    """The body of ``url`` (after redirects, each re-checked) and the last URL's file name."""
    try:
        current = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise RequestRejected("invalid_request", f"not a valid URL: {exc}") from exc
    timeout = httpx.Timeout(policy.total_timeout, connect=policy.connect_timeout)
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                                     trust_env=False) as client:
            return await asyncio.wait_for(_fetch(client, current, policy), policy.total_timeout)
    except asyncio.TimeoutError as exc:
        raise RequestRejected("url_fetch_failed",
                              f"fetching the URL took longer than {policy.total_timeout:g} s") from exc


async def _fetch(client: httpx.AsyncClient, current: httpx.URL,
                 policy: UrlPolicy) -> tuple[bytes, str]:
    for _ in range(policy.max_redirects + 1):
        target = await check_url(current, policy)
        extensions = {"sni_hostname": target.sni} if target.sni else {}
        request = client.build_request("GET", target.url, headers={"Host": target.host_header},
                                       extensions=extensions)
        try:
            response = await client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise RequestRejected("url_fetch_failed",
                                  f"fetching {current.host}: {type(exc).__name__}") from exc
        try:
            if response.status_code in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise RequestRejected("url_fetch_failed", "a redirect without a Location")
                current = current.join(location)
                continue
            if response.status_code != 200:
                raise RequestRejected("url_fetch_failed",
                                      f"the URL answered HTTP {response.status_code}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > policy.max_bytes:
                raise RequestRejected("url_too_large",
                                      f"the URL's content is larger than {policy.max_bytes} bytes")
            chunks: list[bytes] = []
            size = 0
            try:
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > policy.max_bytes:
                        raise RequestRejected(
                            "url_too_large", f"the URL's content is larger than {policy.max_bytes} bytes")
                    chunks.append(chunk)
            except httpx.HTTPError as exc:
                raise RequestRejected("url_fetch_failed",
                                      f"reading {current.host}: {type(exc).__name__}") from exc
            name = current.path.rsplit("/", 1)[-1] or "download"
            return b"".join(chunks), name
        finally:
            await response.aclose()
    raise RequestRejected("url_fetch_failed", f"more than {policy.max_redirects} redirects")
