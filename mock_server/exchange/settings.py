"""How one mock starts: its data, keys, fidelity profile, limits and endpoints."""

from __future__ import annotations

from dataclasses import dataclass, field

from mock_server.endpoints.declaration import Endpoint
from mock_server.endpoints.registry import DEFAULT_ENDPOINTS
from mock_server.injection.scenario import Scenario
from mock_server.replay.cassette import Cassette
from mock_server.replay.proxy import Recording
from mock_server.rules.fidelity import (
    API_IP_WEIGHT_LIMIT,
    SAPI_IP_WEIGHT_LIMIT,
    SAPI_UID_WEIGHT_LIMIT,
    Profile,
)
from mock_server.rules.units import seconds_mistake
from mock_server.state.data import DEFAULT_ROWS
from mock_server.state.journal import DEFAULT_SIZE


@dataclass
class Settings:
    seed: int = 7
    anchor_ms: int | None = None  # None: the clock's now at start
    rows: int = DEFAULT_ROWS
    fixtures: list[str] = field(default_factory=list)
    keys_path: str | None = None
    profile: Profile = field(default_factory=Profile)
    sapi_weight_limit: int = SAPI_IP_WEIGHT_LIMIT
    sapi_uid_weight_limit: int = SAPI_UID_WEIGHT_LIMIT
    api_weight_limit: int = API_IP_WEIGHT_LIMIT
    min_interval_ms: int = 0
    journal_size: int = DEFAULT_SIZE
    scenario: Scenario | None = None
    cassette: Cassette | None = None  # replay recorded answers (docs/cassettes.md)
    on_miss: str = "error"  # a request the cassette lacks: "error" (-1099) or "ledger"
    recording: Recording | None = None  # record the app's traffic into `cassette` (record mode new|all)
    endpoints: tuple[Endpoint, ...] = DEFAULT_ENDPOINTS  # docs/adding-an-endpoint.md
    only_exact: bool = False  # serve the declared endpoints alone, not the spec tier

    def __post_init__(self) -> None:
        mistake = seconds_mistake("anchor_ms", self.anchor_ms) if self.anchor_ms is not None else None
        if mistake is not None:
            raise ValueError(mistake)
