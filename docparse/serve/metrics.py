"""Prometheus metrics of one app, on a registry of its own (two apps in one process, as in
tests, never share counters)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class ServeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("docparse_http_requests_total", "HTTP requests by route and status",
                                ["route", "method", "status"], registry=r)
        self.latency = Histogram("docparse_http_request_seconds", "HTTP request latency by route",
                                 ["route"], buckets=_LATENCY_BUCKETS, registry=r)
        self.in_flight = Gauge("docparse_http_in_flight", "HTTP requests being served", registry=r)
        self.documents = Counter("docparse_documents_total", "Documents parsed, by outcome",
                                 ["status"], registry=r)
        self.pages = Counter("docparse_pages_total", "Pages parsed", registry=r)
        self.document_seconds = Histogram("docparse_document_seconds", "Seconds per document",
                                          buckets=_LATENCY_BUCKETS, registry=r)
        self.recognition_failures = Counter("docparse_recognition_failures_total",
                                            "Blocks whose recognition failed", ["reason"],
                                            registry=r)
        self.recognition_requests = Counter("docparse_recognition_requests_total",
                                            "Requests sent to recognition servers", registry=r)
        self.recognition_retries = Counter("docparse_recognition_retries_total",
                                           "Retried recognition requests", registry=r)
        self.queue_depth = Gauge("docparse_queue_depth", "Documents waiting for a slot", registry=r)
        self.documents_running = Gauge("docparse_documents_running", "Documents being parsed",
                                       registry=r)
        self.jobs = Gauge("docparse_jobs", "Jobs on disk by status", ["status"], registry=r)
        self.rejected = Counter("docparse_rejected_total", "Requests refused, by error code",
                                ["code"], registry=r)

    def track_gate(self, waiting: Callable[[], int], running: Callable[[], int]) -> None:
        self.queue_depth.set_function(lambda: float(waiting()))
        self.documents_running.set_function(lambda: float(running()))

    def render(self) -> bytes:
        return generate_latest(self.registry)
