"""The control routes the page at /_mock/ui reads: journal since/detail, the error catalog,
weights, the data summary; and the page's own files (access, weight, labels, packaging)."""

from __future__ import annotations

import json
import tomllib
from fnmatch import fnmatch
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers import NOW, PATH, Signer
from starlette.testclient import TestClient

from mock_server.exchange import Exchange, Settings
from mock_server.http.app import create_app
from mock_server.rules.fidelity import DAY_MS
from mock_server.state.clock import Clock
from mock_server.state.journal import MAX_BODY_BYTES, Journal

ROOT = Path(__file__).resolve().parents[1]
UI = ROOT / "mock_server" / "http" / "ui"


def test_requests_since_returns_only_newer_entries(client: TestClient, signer: Signer) -> None:
    for _ in range(3):
        signer.get()
    ids = [e["id"] for e in client.get("/_mock/requests").json()["requests"]]
    assert len(ids) == 3
    newer = client.get("/_mock/requests", params={"since": ids[0]}).json()["requests"]
    assert [e["id"] for e in newer] == ids[1:]
    assert client.get("/_mock/requests", params={"since": ids[-1]}).json() == {"requests": []}
    both = client.get("/_mock/requests", params={"since": ids[0], "status": 200}).json()["requests"]
    assert [e["id"] for e in both] == ids[1:]


@pytest.mark.parametrize("bad", ["-1", "x", "1.5", ""])
def test_requests_since_refuses_a_bad_id_by_name(client: TestClient, bad: str) -> None:
    r = client.get("/_mock/requests", params={"since": bad})
    assert r.status_code == 400 and "since must be a journal entry id" in r.json()["error"]
    assert repr(bad) in r.json()["error"]


def test_one_entry_shows_the_body_answered(client: TestClient, signer: Signer) -> None:
    client.post("/_mock/faults", json={"code": -3020})
    signer.get({"asset": "USDT"})
    (entry,) = client.get("/_mock/requests").json()["requests"]
    assert "body" not in entry  # the list stays light; one entry carries its body
    detail = client.get(f"/_mock/requests/{entry['id']}").json()
    assert json.loads(detail["body"]) == {"code": -3020, "msg": "Transfer out amount exceeds max amount."}
    assert detail["bodyTruncated"] is False and detail["rule"] == entry["rule"]
    assert ["signature", "<redacted>"] in detail["params"] and ["asset", "USDT"] in detail["params"]


@pytest.mark.parametrize("raw", ["999", "abc", "-1"])
def test_an_entry_not_kept_is_a_404_naming_it(client: TestClient, raw: str) -> None:
    r = client.get(f"/_mock/requests/{raw}")
    assert r.status_code == 404 and f"no journal entry {raw}" in r.json()["error"]


def test_the_journal_keeps_the_reply_itself_and_cuts_a_large_one() -> None:
    journal = Journal(size=2)
    body = b'{"rows":[],"total":0}'
    journal.record(1, "GET", PATH, b"", None, 200, None, None, "ok", None, "127.0.0.1", "exact", body)
    assert journal.entries()[0].body is body  # a reference, not a copy
    big = b"x" * (MAX_BODY_BYTES + 10)
    journal.record(2, "GET", PATH, b"", None, 200, None, None, "ok", None, "127.0.0.1", "exact", big)
    detail = journal.entries()[-1].to_detail()
    assert len(detail["body"]) == MAX_BODY_BYTES and detail["bodyTruncated"] is True
    journal.record(3, "GET", PATH, b"", None, 200, None, None, "ok", None, "127.0.0.1", "exact", body)
    assert journal.entry(1) is None and journal.entry(3) is not None  # the ring dropped the first
    assert [e.id for e in journal.entries(since=2)] == [3]
    exact = b"y" * MAX_BODY_BYTES
    journal.record(4, "GET", PATH, b"", None, 200, None, None, "ok", None, "127.0.0.1", "exact", exact)
    assert journal.entries()[-1].to_detail()["bodyTruncated"] is False  # exactly the limit: whole


def test_error_catalog_lists_every_code_with_its_message(client: TestClient) -> None:
    listed = client.get("/_mock/errors").json()["errors"]
    by_code = {e["code"]: e for e in listed}
    assert by_code[-3020] == {
        "code": -3020, "name": "EXCEED_MAX_ROLLOUT", "status": 400,
        "msg": "Transfer out amount exceeds max amount.",
    }  # fmt: skip
    assert by_code[-1003]["status"] == 429
    assert [e["code"] for e in listed] == sorted(by_code, reverse=True) and len(listed) == len(by_code)


def test_weights_show_this_minutes_use_with_keys_masked(client: TestClient, signer: Signer) -> None:
    assert client.get("/_mock/weights").json()["api"]["used"] == []
    client.get("/api/v3/time")
    signer.get()
    signer.get()
    w = client.get("/_mock/weights").json()
    assert w["minute_start_ms"] == NOW // 60_000 * 60_000
    assert w["api"] == {"limit": 6000, "used": [{"ip": "testclient", "used": 1}]}
    spent = w["sapi_ip"]["used"] + w["sapi_uid"]["used"]
    assert [(u["path"], u["used"]) for u in spent] == [(PATH, 2)]
    assert "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A" not in json.dumps(w)
    client.put("/_mock/clock", json={"now_ms": NOW + 60_000})  # a new minute starts empty
    assert client.get("/_mock/weights").json()["api"]["used"] == []


def test_data_summary_counts_what_a_call_covers(client: TestClient, signer: Signer) -> None:
    d = client.get("/_mock/data").json()
    assert (d["now_ms"], d["day_ms"], d["default_window_ms"], d["max_window_ms"]) == (
        NOW, DAY_MS, 7 * DAY_MS, 30 * DAY_MS,
    )  # fmt: skip
    (account,) = d["accounts"]
    assert account["apiKey"] == "vmPU...Eh8A" and account["rows"] == 500
    assert sum(n for by_type in account["byAsset"].values() for n in by_type.values()) == 500
    assert sum(n for _, n in account["days"]) == 500
    assert all(day % DAY_MS == 0 for day, _ in account["days"])
    assert NOW - account["days"][0][0] <= 91 * DAY_MS  # the generated 90 days
    # The default window's count is the total a call without startTime answers.
    assert account["inDefaultWindow"] == signer.get().json()["total"]
    start = NOW - 30 * DAY_MS
    assert account["inMaxWindow"] == signer.get({"startTime": start, "endTime": NOW}).json()["total"]
    usdt = signer.get({"asset": "USDT", "startTime": start, "endTime": NOW}).json()["total"]
    assert 0 < usdt < sum(account["byAsset"]["USDT"].values())


def test_data_summary_of_an_empty_ledger(client: TestClient) -> None:
    client.delete("/_mock/transfers")
    (account,) = client.get("/_mock/data").json()["accounts"]
    assert account == {"apiKey": "vmPU...Eh8A", "rows": 0, "byAsset": {}, "days": [],
                       "inDefaultWindow": 0, "inMaxWindow": 0}  # fmt: skip


# --- the page ---


def test_the_page_and_its_files_are_served_with_a_strict_policy(client: TestClient) -> None:
    page = client.get("/_mock/ui")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert 'data-auth="open"' in page.text
    for name, kind in (("ui.js", "text/javascript"), ("ui.css", "text/css")):
        r = client.get(f"/_mock/ui/{name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(kind)
        assert r.content == (UI / name).read_bytes()
    r = client.get("/_mock/ui/secrets.txt")
    assert r.status_code == 404 and "'secrets.txt'" in r.json()["error"]
    assert client.get("/_mock/ui/index.html").status_code == 404  # one address for the page


def test_with_a_token_the_page_loads_without_it_and_asks_for_it() -> None:
    clock = Clock()
    clock.freeze(NOW)
    client = TestClient(create_app(exchange=Exchange(Settings(rows=1), clock=clock), admin_token="t0ken"))
    page = client.get("/_mock/ui")
    assert page.status_code == 200 and 'data-auth="token"' in page.text
    assert client.get("/_mock/ui/ui.js").status_code == 200
    assert client.get("/_mock/data").status_code == 401
    assert client.get("/_mock/data", headers={"Authorization": "Bearer t0ken"}).status_code == 200


def test_without_a_token_the_page_keeps_the_loopback_rules(client: TestClient) -> None:
    r = client.get("/_mock/ui", headers={"Host": "evil.example:8900"})
    assert r.status_code == 403 and "Host" in r.json()["error"]
    far = TestClient(create_app(exchange=Exchange(Settings(rows=1))), client=("10.1.2.3", 5000))
    assert far.get("/_mock/ui").status_code == 403


def test_the_page_weighs_under_200_kb() -> None:
    sizes = {p.name: p.stat().st_size for p in UI.iterdir()}
    assert set(sizes) == {"index.html", "ui.js", "ui.css"}
    assert sum(sizes.values()) < 200 * 1024, sizes


class _Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("input", "select", "button", "textarea"):
            self.controls.append({"tag": tag, **a})
        elif tag == "label" and a.get("for"):
            self.label_for.add(a["for"] or "")


def test_every_control_of_the_page_has_an_accessible_label() -> None:
    parser = _Controls()
    parser.feed((UI / "index.html").read_text())
    assert len(parser.controls) > 20
    unlabelled = [
        c
        for c in parser.controls
        if not c.get("aria-label") and not c.get("aria-labelledby") and c.get("id") not in parser.label_for
    ]
    assert unlabelled == []


def test_the_page_is_package_data() -> None:
    """An installed wheel has the page: every file under ui/ matches a package-data pattern."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = data["mock_server.http"]
    for path in UI.iterdir():
        assert any(fnmatch(f"ui/{path.name}", p) for p in patterns), path.name


def test_the_page_calls_only_the_control_api() -> None:
    script = (UI / "ui.js").read_text()
    assert script.count("fetch(") == 1 and 'fetch("/_mock" + path' in script
    page = (UI / "index.html").read_text() + (UI / "ui.css").read_text()
    assert "http://" not in page and "https://" not in page and "//" not in page.replace("://", "")
