"""The reference client against the real mock (`binance_mock`): a year of history comes back
exactly equal to the ledger, clean and under every fault a real account meets, and small
variants of the client with classic bugs are caught by the mock.

Waits run on a fake clock (`FakeClock(real_wall=True)`: real timestamps, so the server accepts
them, and instant sleeps); only the pacing test sleeps for real, because the mock's pacing
runs on real time."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from binance_mock.client_under_test import (
    HistoryReader,
    HmacSigner,
    InvalidRequest,
    InvalidTimestamp,
    MarginClient,
    RetryPolicy,
    Transfer,
    signer_from_pem,
    split_windows,
)
from binance_mock.client_under_test.fakes import FakeClock
from binance_mock.client_under_test.history import DAY_MS, MAX_WINDOW_MS
from mock_server import MockBinance

PATH = "/sapi/v1/margin/transfer"
Y0 = 1_735_689_600_000  # 2025-01-01T00:00:00Z
Y1 = Y0 + 365 * DAY_MS - 1  # 2025-12-31T23:59:59.999Z
ASSETS = ("USDT", "BTC", "ETH", "BNB", "SOL")


def make_row(tx: int, ts: int, rng: random.Random) -> dict[str, Any]:
    type_ = rng.choice(("ROLL_IN", "ROLL_OUT"))
    wallets = ("SPOT", "CROSS_MARGIN") if type_ == "ROLL_IN" else ("CROSS_MARGIN", "SPOT")
    return {"amount": f"{rng.randint(0, 9999)}.{rng.randint(0, 10**8 - 1):08d}", "asset": rng.choice(ASSETS),
            "status": "CONFIRMED", "timestamp": ts, "txId": tx, "type": type_,
            "transFrom": wallets[0], "transTo": wallets[1]}  # fmt: skip


def year_rows(n: int = 21_000, seed: int = 5) -> list[dict[str, Any]]:
    """A deterministic busy year: random times, a burst of 300 transfers in one millisecond, and
    rows exactly on every window bound (inclusive ends) and on the year's first and last ms."""
    rng = random.Random(seed)
    stamps = sorted(Y0 + rng.randrange(365 * DAY_MS) for _ in range(n))
    stamps += [Y0 + 200 * DAY_MS] * 300
    stamps += [t for window in split_windows(Y0, Y1) for t in window]
    stamps += [Y0 - 1, Y1 + 1]  # just outside the range
    tx = 200_000_000_000
    rows = []
    for ts in sorted(stamps):
        tx += rng.randint(1, 40)
        rows.append(make_row(tx, ts, rng))
    return rows


YEAR = year_rows()


def in_range(rows: list[dict[str, Any]], lo: int = Y0, hi: int = Y1) -> list[dict[str, Any]]:
    """The ledger's rows in [lo, hi], in history()'s order (oldest first, ties by txId)."""
    return sorted((r for r in rows if lo <= r["timestamp"] <= hi), key=lambda r: (r["timestamp"], r["txId"]))


@pytest.fixture
def year(binance_mock: MockBinance) -> MockBinance:
    binance_mock.clear_transfers()
    binance_mock.add_transfers(YEAR)
    return binance_mock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(real_wall=True)


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


@pytest.fixture
def client(binance_mock: MockBinance, clock: FakeClock, session: requests.Session) -> MarginClient:
    assert binance_mock.secret is not None
    return MarginClient(binance_mock.api_key, HmacSigner(binance_mock.secret), binance_mock.base_url,
                        session=session, clock=clock, rng=random.Random(1))  # fmt: skip


def raw(rows: list[Transfer]) -> list[dict[str, Any]]:
    return [dict(t.raw) for t in rows]


def transfer_calls(mock: MockBinance) -> list[dict[str, Any]]:
    return [e for e in mock.requests(PATH)]


def params(entry: dict[str, Any]) -> dict[str, str]:
    return dict(entry["params"])


# --- a year, clean ---


def test_a_year_comes_back_exactly_equal_to_the_ledger(year: MockBinance, client: MarginClient) -> None:
    started = time.monotonic()
    got = list(client.history(Y0, Y1))
    elapsed = time.monotonic() - started
    want = in_range(year.transfers())
    assert len(want) >= 20_000
    assert raw(got) == want  # same rows, same fields, chronological
    assert len({t.tx_id for t in got}) == len(got)
    calls = transfer_calls(year)
    assert len(calls) == client.stats.requests >= 200  # hundreds of pages, nothing retried
    assert all(e["status"] == 200 for e in calls)
    windows = {(params(e)["startTime"], params(e)["endTime"]) for e in calls}
    assert len(windows) == 13
    for e in calls:  # what the client sends, as Binance requires it
        p = params(e)
        assert p["size"] == "100" and int(p["endTime"]) - int(p["startTime"]) <= MAX_WINDOW_MS
    assert elapsed < 20, elapsed


def test_filters_are_passed_through(year: MockBinance, client: MarginClient) -> None:
    got = list(client.history(Y0 + 100 * DAY_MS, Y0 + 160 * DAY_MS, asset="BTC", type="ROLL_OUT"))
    want = [r for r in in_range(year.transfers(), Y0 + 100 * DAY_MS, Y0 + 160 * DAY_MS)
            if r["asset"] == "BTC" and r["type"] == "ROLL_OUT"]  # fmt: skip
    assert raw(got) == want and len(want) > 100


# --- a year under faults ---


def test_a_year_under_injected_faults(year: MockBinance, client: MarginClient, clock: FakeClock) -> None:
    on_page = lambda n: {"path": PATH, "params": {"current": str(n)}}  # noqa: E731
    year.inject(-21003, times=3, match=on_page(3))
    year.inject(-1003, times=2, retry_after=2, match=on_page(5))
    year.inject(None, delay_ms=150, times=4, match=on_page(7))
    year.inject(None, fault="empty_reply", times=2, match=on_page(9))
    year.inject(None, fault="reset", times=2, match=on_page(11))
    year.inject(-1001, times=1, match=on_page(13))  # 503
    got = list(client.history(Y0, Y1))
    assert raw(got) == in_range(year.transfers())
    fired = {r["id"]: r["fired"] for r in year.faults()}
    assert list(fired.values()) == [3, 2, 4, 2, 2, 1]  # every fault really happened
    assert client.stats.retries == 3 + 2 + 2 + 2 + 1
    assert clock.sleeps.count(2.0) == 2  # Retry-After honoured
    answers = [(e["status"], e["code"]) for e in transfer_calls(year)]
    assert answers.count((400, -21003)) == 3 and answers.count((429, -1003)) == 2
    after_busy = [s for s in clock.sleeps if s >= 0.5]
    assert len(after_busy) >= 3  # -21003 waits at least 500 ms


def test_retries_are_bounded(binance_mock: MockBinance, clock: FakeClock, session: requests.Session) -> None:
    from binance_mock.client_under_test import MarginBusy

    binance_mock.inject(-21003, times=None)
    assert binance_mock.secret is not None
    client = MarginClient(binance_mock.api_key, HmacSigner(binance_mock.secret), binance_mock.base_url,
                          session=session, clock=clock, retry=RetryPolicy(attempts=4))  # fmt: skip
    with pytest.raises(MarginBusy) as caught:
        list(client.history(Y0, Y0 + DAY_MS))
    assert (caught.value.status, caught.value.code, caught.value.msg) == (
        400, -21003, "Fail to retrieve margin assets.")  # fmt: skip
    assert len(transfer_calls(binance_mock)) == 4 and len(clock.sleeps) == 3


# --- rows arriving between page fetches ---


class Arrivals:
    """A `requests` response hook: after the n-th page answer, add rows to the mock's ledger,
    placed relative to the window being read."""

    def __init__(self, mock: MockBinance, plan: dict[int, list[str]]) -> None:
        self.mock, self.plan, self.pages = mock, plan, 0
        self.added: list[dict[str, Any]] = []
        self.rng = random.Random(9)
        self.windows = split_windows(Y0, Y1)

    def __call__(self, resp: requests.Response, *args: Any, **kwargs: Any) -> None:
        url = urlsplit(resp.url)
        if url.path != PATH or resp.status_code != 200:
            return
        self.pages += 1
        q = dict(parse_qsl(url.query))
        start, end = int(q["startTime"]), int(q["endTime"])
        _, w_hi = next(w for w in self.windows if w[0] <= start <= w[1])
        page = resp.json()["rows"]
        for where in self.plan.get(self.pages, []):
            ts = {
                "top": w_hi,  # newest of the window: every later page shifts
                "read": page[0]["timestamp"] - 1 if page else end,  # back-dated into what was read
                "ahead": min(Y1, w_hi + 10 * DAY_MS),  # a later window
                "outside": Y1 + 5,  # after the range: must not be exported
            }[where]
            row = make_row(900_000_000_000 + len(self.added), ts, self.rng)
            self.mock.add_transfers([row])
            self.added.append(row)


def test_new_rows_between_page_fetches_are_all_exported_once(
    year: MockBinance, client: MarginClient, session: requests.Session
) -> None:
    plan = {3: ["top"], 4: ["read"], 10: ["top", "read"], 40: ["ahead", "outside"], 41: ["read"],
            90: ["top", "top", "read"], 150: ["read"], 200: ["top"]}  # fmt: skip
    arrivals = Arrivals(year, plan)
    session.hooks["response"].append(arrivals)
    reader = HistoryReader(client)
    got = list(reader.read(Y0, Y1))
    assert len(arrivals.added) == 12
    want = in_range(year.transfers())  # the ledger as it is at the end
    assert raw(got) == want
    added_in_range = {r["txId"] for r in arrivals.added if r["timestamp"] <= Y1}
    assert added_in_range <= {t.tx_id for t in got} and len(added_in_range) == 11
    assert reader.narrowings >= 4 and reader.repairs >= 3  # the detection and the repair both ran


# --- keys, clock and pacing ---


@pytest.fixture(scope="module")
def asymmetric_mock(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[MockBinance, dict[str, bytes]]]:
    keys = {"rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
            "ed25519": ed25519.Ed25519PrivateKey.generate()}  # fmt: skip
    accounts, pems = [], {}
    for name, key in keys.items():
        pems[name] = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())  # fmt: skip
        public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)  # fmt: skip
        accounts.append({"apiKey": f"{name}Key{'x' * 40}".replace("_", ""), "keyType": name,
                         "publicKey": public.decode()})  # fmt: skip
    path = tmp_path_factory.mktemp("keys") / "keys.json"
    path.write_text(json.dumps({"accounts": accounts}))
    with MockBinance(rows=1500, keys_path=str(path)) as mock:
        yield mock, pems


@pytest.mark.parametrize("key_type", ["rsa", "ed25519"])
def test_rsa_and_ed25519_keys_read_generated_history(
    asymmetric_mock: tuple[MockBinance, dict[str, bytes]], key_type: str, clock: FakeClock
) -> None:
    mock, pems = asymmetric_mock
    api_key = f"{key_type}Key{'x' * 40}"
    now = mock.now_ms()
    with MarginClient(api_key, signer_from_pem(pems[key_type]), mock.base_url, clock=clock) as client:
        got = list(client.history(now - 91 * DAY_MS, now + 1000))
    want = in_range(mock.transfers(api_key), now - 91 * DAY_MS, now + 1000)
    assert raw(got) == want and len(want) == 1500


def test_server_clock_ahead_is_resynced_through_api_v3_time(
    binance_mock: MockBinance, client: MarginClient
) -> None:
    binance_mock.shift_clock(90_000, strict=True)  # the server is 90 s ahead: our timestamps are stale
    now = binance_mock.now_ms()
    got = list(client.history(now - 7 * DAY_MS, now))
    assert raw(got) == in_range(binance_mock.transfers(), now - 7 * DAY_MS, now) and got
    assert client.stats.resyncs == 1 and 85_000 < client.time_offset_ms < 95_000
    first = binance_mock.requests()[0]
    assert (first["path"], first["code"]) == (PATH, -1021)
    assert binance_mock.requests()[1]["path"] == "/api/v3/time"


def test_without_resync_a_skewed_clock_is_a_typed_error(binance_mock: MockBinance, clock: FakeClock) -> None:
    binance_mock.shift_clock(-90_000, strict=True)  # the server is behind: our timestamps are from its future
    assert binance_mock.secret is not None
    client = MarginClient(binance_mock.api_key, HmacSigner(binance_mock.secret), binance_mock.base_url,
                          clock=clock, resync_on_1021=False)  # fmt: skip
    with client, pytest.raises(InvalidTimestamp) as caught:
        client.transfers()
    assert caught.value.msg == "Timestamp for this request was 1000ms ahead of the server's time."
    with MarginClient(binance_mock.api_key, HmacSigner(binance_mock.secret), binance_mock.base_url,
                      clock=clock, sync_time=True) as synced:  # fmt: skip
        assert synced.transfers().total >= 0
    assert [e["code"] for e in binance_mock.requests()] == [-1021, None, None]


def test_the_pacer_keeps_clear_of_the_mocks_pacing(binance_mock: MockBinance) -> None:
    """Real time: the mock's pacing reads the real clock. Three pages each way."""
    binance_mock.clear_transfers()
    binance_mock.add_transfers(YEAR[:250])
    lo, hi = YEAR[0]["timestamp"], YEAR[249]["timestamp"]
    binance_mock.set_pacing(500)
    assert binance_mock.secret is not None
    signer = HmacSigner(binance_mock.secret)
    with MarginClient(binance_mock.api_key, signer, binance_mock.base_url, pace_ms=500) as paced:
        assert len(list(paced.history(lo, hi))) == 250
    assert [e["code"] for e in binance_mock.requests(PATH)] == [None, None, None]
    binance_mock.clear_requests()
    binance_mock.set_pacing(500)  # forget the paced client's last call
    with MarginClient(binance_mock.api_key, signer, binance_mock.base_url) as unpaced:
        assert len(list(unpaced.history(lo, hi))) == 250  # still right: -21003 answered with a wait
    codes = [e["code"] for e in binance_mock.requests(PATH)]
    # Back-to-back pages arrive well within 500 ms of each other on loopback.
    assert codes.count(-21003) >= 1 and codes.count(None) == 3
    assert unpaced.stats.waited >= 0.5 * codes.count(-21003)


# --- classic client bugs, and the mock catching each ---

Pager = Callable[[MarginClient, int, int], list[dict[str, Any]]]


def bug_one_call_for_the_whole_range(c: MarginClient, lo: int, hi: int) -> list[dict[str, Any]]:
    """Asks for more than 30 days at once."""
    out, current = [], 1
    while True:
        page = c.transfers(start_ms=lo, end_ms=hi, current=current, size=100)
        out += raw(list(page.rows))
        if not page.rows:
            return out
        current += 1


def bug_size_over_100(c: MarginClient, lo: int, hi: int) -> list[dict[str, Any]]:
    """Saves requests with size=1000, forgetting that size tops at 100."""
    out = []
    for a, b in split_windows(lo, hi):
        out += raw(list(c.transfers(start_ms=a, end_ms=b, size=1000).rows))
    return out


def bug_assumes_ascending(c: MarginClient, lo: int, hi: int) -> list[dict[str, Any]]:
    """Cursor paging that takes the last row of a page as the newest (it is the oldest)."""
    out: dict[int, dict[str, Any]] = {}
    for a, b in split_windows(lo, hi):
        cursor = a
        while cursor <= b:
            page = c.transfers(start_ms=cursor, end_ms=b, size=100)
            new = [t for t in page.rows if t.tx_id not in out]
            if not new:
                break
            out.update((t.tx_id, dict(t.raw)) for t in new)
            cursor = page.rows[-1].timestamp_ms + 1
    return list(out.values())


def bug_end_is_exclusive(c: MarginClient, lo: int, hi: int) -> list[dict[str, Any]]:
    """Windows [a, a+30d] then [a+30d, ...]: treats endTime as exclusive, so bounds repeat."""
    out, a = [], lo
    while a <= hi:
        b = min(hi, a + MAX_WINDOW_MS)
        current = 1
        while True:
            page = c.transfers(start_ms=a, end_ms=b, current=current, size=100)
            out += raw(list(page.rows))
            if current * 100 >= page.total:
                break
            current += 1
        a = b if b < hi else hi + 1
    return out


def bug_no_dedupe(c: MarginClient, lo: int, hi: int) -> list[dict[str, Any]]:
    """Pages by `current` and trusts the pages not to move."""
    out = []
    for a, b in split_windows(lo, hi):
        current = 1
        while True:
            page = c.transfers(start_ms=a, end_ms=b, current=current, size=100)
            out += raw(list(page.rows))
            if current * 100 >= page.total or not page.rows:
                break
            current += 1
    return out


def reference(c: MarginClient, lo: int, hi: int) -> list[dict[str, Any]]:
    return raw(list(c.history(lo, hi)))


def as_set(rows: list[dict[str, Any]]) -> list[int]:
    return sorted(r["txId"] for r in rows)


LO, HI = Y0, Y0 + 75 * DAY_MS  # three windows, the 300-row burst not included


@pytest.mark.parametrize(
    ("bug", "caught_as"),
    [
        (bug_one_call_for_the_whole_range, "-1127"),
        (bug_size_over_100, "-1130"),
        (bug_assumes_ascending, "missing rows"),
        (bug_end_is_exclusive, "duplicates"),
    ],
)
def test_the_mock_catches_classic_bugs(
    year: MockBinance, client: MarginClient, bug: Pager, caught_as: str
) -> None:
    want = as_set(in_range(year.transfers(), LO, HI))
    assert as_set(reference(client, LO, HI)) == want  # the same data, read right
    if caught_as.startswith("-"):
        with pytest.raises(InvalidRequest) as caught:
            bug(client, LO, HI)
        assert caught.value.code == int(caught_as) and caught.value.status == 400
        return
    got = as_set(bug(client, LO, HI))
    assert got != want
    if caught_as == "missing rows":
        assert set(got) < set(want) and len(got) < len(want) / 2
    else:
        assert set(got) == set(want) and len(got) > len(want)  # rows on window bounds twice


def test_the_mock_catches_paging_without_dedupe_when_rows_arrive(
    year: MockBinance, client: MarginClient, session: requests.Session
) -> None:
    session.hooks["response"].append(Arrivals(year, {2: ["top"], 30: ["top"]}))
    got = as_set(bug_no_dedupe(client, LO, HI))
    assert len(got) > len(set(got))  # a row read twice: the new one shifted the pages
    # The same arrivals, from the same start, against the reference client.
    year.clear_transfers()
    year.add_transfers(YEAR)
    session.hooks["response"][-1] = Arrivals(year, {2: ["top"], 30: ["top"]})
    assert as_set(reference(client, LO, HI)) == as_set(in_range(year.transfers(), LO, HI))


def test_the_clamp_profile_catches_stopping_at_the_first_short_page(clock: FakeClock) -> None:
    """If Binance silently clamped size to 100 (fidelity F3's alternative), a client that asks
    for 500 and stops at the first page shorter than that reads 100 rows per window."""

    def bug_short_page_means_done(c: MarginClient, lo: int, hi: int) -> list[dict[str, Any]]:
        out = []
        for a, b in split_windows(lo, hi):
            current = 1
            while True:
                page = c.transfers(start_ms=a, end_ms=b, current=current, size=500)
                out += raw(list(page.rows))
                if len(page.rows) < 500:
                    break
                current += 1
        return out

    with MockBinance(rows=10, profile={"size_over_max": "clamp"}) as mock:
        mock.clear_transfers()
        mock.add_transfers(YEAR[:3000])
        lo, hi = Y0, YEAR[2999]["timestamp"]
        assert mock.secret is not None
        with MarginClient(mock.api_key, HmacSigner(mock.secret), mock.base_url, clock=clock) as c:
            buggy = bug_short_page_means_done(c, lo, hi)
            right = reference(c, lo, hi)
    want = in_range(YEAR[:3000], lo, hi)
    assert right == want
    assert len(buggy) == 100 * len(split_windows(lo, hi)) < len(want)


def test_a_plain_secret_string_is_taken_as_an_hmac_secret(binance_mock: MockBinance) -> None:
    assert binance_mock.secret is not None
    with MarginClient(binance_mock.api_key, binance_mock.secret, base_url=binance_mock.base_url) as client:
        assert client.transfers().total > 0
    with pytest.raises(ValueError, match="empty HMAC secret"):
        MarginClient(binance_mock.api_key, "", base_url=binance_mock.base_url)
