"""API keys: ``Authorization: Bearer KEY`` checked in constant time; a key's owner id.

Keys are kept only as SHA-256 digests, so a memory dump or a job file never holds a key; a
job records the digest prefix of the key that created it (its *owner*) and is visible only
to requests presenting the same key.
"""

from __future__ import annotations

import hashlib
import hmac

from docparse.serve.problems import RequestRejected

#: The owner of everything when the service runs without keys.
ANONYMOUS = "anonymous"


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


class KeyRing:
    """The accepted keys. Empty: every request is :data:`ANONYMOUS`.

    >>> ring = KeyRing(("s3cret-key-1",))
    >>> ring.owner_of("Bearer s3cret-key-1") == ring.owner_of("Bearer s3cret-key-1")
    True
    """

    def __init__(self, keys: tuple[str, ...]) -> None:
        self._digests = tuple(_digest(k) for k in keys)

    @property
    def enabled(self) -> bool:
        return bool(self._digests)

    def owner_of(self, authorization: str | None) -> str:
        """The owner id for an ``Authorization`` header; raises ``unauthorized`` otherwise."""
        if not self._digests:
            return ANONYMOUS
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise RequestRejected("unauthorized", "send an API key as 'Authorization: Bearer KEY'")
        digest = _digest(token)
        # Compare against every key, always, so timing does not tell which prefix matched.
        match = False
        for known in self._digests:
            match |= hmac.compare_digest(digest, known)
        if not match:
            raise RequestRejected("unauthorized", "the API key is not valid")
        return digest.hex()[:32]
