"""The app in process (no lifespan, so no model loads): CORS off unless origins are given,
request ids, the body cap from Content-Length, errors as JSON."""

from __future__ import annotations

from fastapi.testclient import TestClient

from docparse.options import ParseOptions
from docparse.serve.app import create_app
from docparse.serve.settings import ServeSettings

PREFLIGHT = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization"}


def client(**settings: object) -> TestClient:
    return TestClient(create_app(ServeSettings(**settings), ParseOptions()))  # type: ignore[arg-type]


def test_cors_is_off_by_default() -> None:
    c = client()
    r = c.options("/v1/parse", headers=PREFLIGHT)
    assert "access-control-allow-origin" not in r.headers
    assert "access-control-allow-origin" not in c.get("/health", headers={"Origin": "https://app.example"}).headers


def test_cors_for_given_origins_only() -> None:
    c = client(cors_origins=("https://app.example",))
    r = c.options("/v1/parse", headers=PREFLIGHT)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://app.example"
    other = c.options("/v1/parse", headers={**PREFLIGHT, "Origin": "https://evil.example"})
    assert other.headers.get("access-control-allow-origin") != "https://evil.example"


def test_request_ids_and_json_errors() -> None:
    c = client(api_keys=("a-key-123456789",), max_upload_bytes=1000)
    r = c.get("/health", headers={"X-Request-ID": "bad id with spaces"})
    assert len(r.headers["x-request-id"]) == 32  # replaced: not a sane id
    big = c.post("/v1/parse", content=b"x" * 100_000,  # cap: 4/3 of 1000 + 64 KiB of JSON
                 headers={"content-type": "application/json",
                          "Authorization": "Bearer a-key-123456789"})
    assert big.status_code == 413 and big.json()["error"]["code"] == "upload_too_large"
    assert big.json()["error"]["request_id"] == big.headers["x-request-id"]
    r = c.post("/v1/jobs", json={})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def test_openapi_declares_bearer_keys_only_when_there_are_keys() -> None:
    keyed = client(api_keys=("a-key-123456789",)).get("/openapi.json").json()
    open_ = client().get("/openapi.json").json()
    op = keyed["paths"]["/v1/parse"]["post"]
    assert op["security"] == [{"HTTPBearer": []}] and "401" in op["responses"]
    assert "HTTPBearer" in keyed["components"]["securitySchemes"]
    assert "security" not in open_["paths"]["/v1/parse"]["post"]
    assert "securitySchemes" not in open_["components"]
    # Both content types of the hand-described body, resolvable in components.
    body = op["requestBody"]["content"]
    assert set(body) == {"multipart/form-data", "application/json"}
    assert "ParseRequest" in keyed["components"]["schemas"]
    assert "DocumentOptions" in keyed["components"]["schemas"]
    for path in ("/health", "/ready"):
        assert "security" not in keyed["paths"][path]["get"]
