"""URL inputs: forbidden addresses refused before any connection, allow-list by exact host,
redirects re-checked, connection made to the checked address."""

from __future__ import annotations

import asyncio
import ipaddress

import httpx
import pytest
from conftest import KEY_A, FileServer
from serve_fixtures import ServeProcess

from docparse.serve.problems import RequestRejected
from docparse.serve.urlfetch import AllowEntry, UrlPolicy, check_url, forbidden_address


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.100.100.200",
    "0.0.0.0", "::1", "fe80::1", "fd00:ec2::254", "::ffff:127.0.0.1", "224.0.0.1", "240.0.0.1",
])
def test_private_and_special_addresses_are_forbidden(address: str) -> None:
    assert forbidden_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_not(address: str) -> None:
    assert not forbidden_address(ipaddress.ip_address(address))


def test_allow_entries() -> None:
    assert AllowEntry.parse("127.0.0.1:8080").matches("127.0.0.1", 8080)
    assert not AllowEntry.parse("127.0.0.1:8080").matches("127.0.0.1", 8081)
    assert AllowEntry.parse("*.example.com").matches("docs.example.com", 443)
    assert not AllowEntry.parse("*.example.com").matches("example.com.evil.net", 443)
    assert AllowEntry.parse("[::1]:9000") == AllowEntry("::1", 9000)


def check(url: str, *allow: str) -> object:
    return asyncio.run(check_url(httpx.URL(url), UrlPolicy.from_strings(allow)))


def test_check_connects_to_the_checked_address() -> None:
    target = check("http://localhost:8123/a.pdf?x=1", "localhost:8123")
    assert target.url.host in ("127.0.0.1", "::1")  # type: ignore[attr-defined]
    assert target.url.path == "/a.pdf" and target.url.query == b"x=1"  # type: ignore[attr-defined]
    assert target.host_header == "localhost:8123"  # type: ignore[attr-defined]
    https = check("https://127.0.0.1/x", "127.0.0.1")
    assert https.sni == "127.0.0.1"  # type: ignore[attr-defined]


@pytest.mark.parametrize("url, allow", [
    ("http://169.254.169.254/latest/meta-data/", ()),
    ("http://127.0.0.1:80/", ()),
    ("http://localhost/", ()),
    ("http://[::1]/", ()),
    ("http://2130706433/", ()),  # 127.0.0.1 as one number
    ("http://10.0.0.1/", ("*.internal",)),
    ("http://files.example.com/", ("other.example.com",)),
    ("http://127.0.0.1:9/", ("*.0.0.1",)),  # a wildcard never opens private addresses
    ("ftp://127.0.0.1/x", ()),
    ("file:///etc/passwd", ()),
])
def test_refused(url: str, allow: tuple[str, ...]) -> None:
    with pytest.raises(RequestRejected) as info:
        check(url, *allow)
    assert info.value.code == "url_forbidden" and info.value.status == 403


def test_forbidden_urls_on_the_service(service: ServeProcess, files: FileServer,
                                       other_files: FileServer) -> None:
    with service.client(KEY_A) as c:
        for url in ("http://169.254.169.254/latest/meta-data/", f"{other_files.url}/invoice.pdf",
                    "http://localhost:1/x.pdf", "gopher://127.0.0.1/"):
            r = c.post("/v1/parse", json={"url": url})
            assert r.status_code == 403 and r.json()["error"]["code"] == "url_forbidden", r.text
        # The allowed host redirects to a host that is not allowed: the redirect is re-checked.
        r = c.post("/v1/parse", json={"url": f"{files.url}/redirect?to={other_files.url}/invoice.pdf"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "url_forbidden", r.text
        assert str(other_files.port) in r.json()["error"]["message"]
        # ... and to the metadata address.
        r = c.post("/layout-parsing", json={
            "file": f"{files.url}/redirect?to=http://169.254.169.254/latest/meta-data/"})
        assert r.status_code == 403 and r.json()["code"] == "url_forbidden"
        # A redirect within the allowed host is followed.
        r = c.post("/v1/parse", json={"url": f"{files.url}/redirect?to=/invoice.pdf",
                                      "options": {"include_images": False}})
        assert r.status_code == 200 and "INV-2024-0117" in r.json()["markdown"]
        # Missing files and loops end in a 4xx too.
        r = c.post("/v1/parse", json={"url": f"{files.url}/missing.pdf"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "url_fetch_failed"
        r = c.post("/v1/parse", json={"url": f"{files.url}/redirect?to={files.url}/redirect?to=/x"})
        assert r.status_code in (403, 422)
