"""What crosses the wire, free of any web framework: a call in, a reply out."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    query: bytes = b""
    body: bytes = b""
    api_key: str | None = None
    client_ip: str = "127.0.0.1"


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
