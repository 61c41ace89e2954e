"""``docparse serve``: docparse as an HTTP service in front of PaddleOCR-VL servers.

Modules, by what they own: ``app`` (the ASGI app, middleware, errors, operations routes),
``official`` (``/layout-parsing``, ``/restructure-pages``), ``api_v1`` (``/v1/parse``,
``/v1/jobs``), ``jobs`` (the on-disk job store and its workers), ``engine`` (models loaded
once, one parse per request), ``inputs`` (request bodies), ``urlfetch`` (URL inputs without
SSRF), ``auth`` (API keys), ``limits`` (slots and the waiting line), ``metrics``
(Prometheus), ``settings`` (the service's settings and their environment), ``server``
(uvicorn). Needs the ``serve`` extra (fastapi, uvicorn, python-multipart, prometheus-client).
"""

from docparse.serve.settings import ServeSettings, resolve_serve_settings

__all__ = ["ServeSettings", "resolve_serve_settings"]
