"""How one mock starts: its data, keys, fidelity profile, limits and endpoints."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from mock_server.endpoints.declaration import Endpoint
from mock_server.endpoints.registry import DEFAULT_ENDPOINTS
from mock_server.injection.scenario import Scenario, load_scenario
from mock_server.replay.cassette import MISS_POLICIES, Cassette
from mock_server.replay.proxy import DEFAULT_TIMEOUT_S, OptionNames, Recording, open_cassette
from mock_server.rules.fidelity import (
    API_IP_WEIGHT_LIMIT,
    SAPI_IP_WEIGHT_LIMIT,
    SAPI_UID_WEIGHT_LIMIT,
    Profile,
    load_profile,
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


def build_profile(profile: Profile | Mapping[str, str] | str | None, fidelity: Mapping[str, str]) -> Profile:
    """A Profile from a Profile, a mapping of decisions or a profile file's path, with `fidelity`
    (`--fidelity name=value`) applied over it; ValueError naming a bad decision or value."""
    if isinstance(profile, str):
        base = load_profile(profile)
    elif isinstance(profile, Profile):
        base = profile
    else:
        base = Profile().with_values(dict(profile or {}))
    return base.with_values(dict(fidelity))


def build_settings(
    names: OptionNames,
    *,
    seed: int = 7,
    anchor_ms: int | None = None,
    rows: int = DEFAULT_ROWS,
    fixtures: Iterable[str] = (),
    keys: str | None = None,
    profile: Profile | Mapping[str, str] | str | None = None,
    fidelity: Mapping[str, str] | None = None,
    min_interval_ms: int = 0,
    ip_weight_limit: int | None = None,
    scenario: str | None = None,
    journal_size: int = DEFAULT_SIZE,
    cassette: str | None = None,
    on_miss: str = "error",
    match: str | None = None,
    record_mode: str = "none",
    upstream: str | None = None,
    upstream_timeout_s: float = DEFAULT_TIMEOUT_S,
    redact: Iterable[str] = (),
    endpoints: Iterable[Endpoint] = DEFAULT_ENDPOINTS,
    only_exact: bool = False,
) -> Settings:
    """The one place options become Settings, for `binance-mock serve` and `MockBinance` alike;
    `names` spells each option as its caller does (`--record-mode` or `record_mode=`) in the
    ValueError or OSError that names a bad value or a combination that could never act."""
    if on_miss not in MISS_POLICIES:
        raise ValueError(f"{names.on_miss} must be one of {', '.join(MISS_POLICIES)}; got {on_miss!r}")
    settings = Settings(
        seed=seed,
        anchor_ms=anchor_ms,
        rows=rows,
        fixtures=list(fixtures),
        keys_path=keys,
        profile=build_profile(profile, fidelity or {}),
        min_interval_ms=min_interval_ms,
        journal_size=journal_size,
        scenario=load_scenario(scenario) if scenario else None,
        on_miss=on_miss,
        endpoints=tuple(endpoints),
        only_exact=only_exact,
    )
    if ip_weight_limit is not None:  # /api and /sapi alike: exchangeInfo's rateLimits show it
        settings.api_weight_limit = settings.sapi_weight_limit = ip_weight_limit
    settings.cassette, settings.recording = open_cassette(
        cassette, record_mode, match, upstream, upstream_timeout_s, tuple(redact), on_miss, names
    )
    return settings
