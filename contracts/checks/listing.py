"""What a listing holds: filters, order, pages and the shape of the answer (page; F1, F2, F5, F13,
F24, F26, F33).

With a control API the answers are compared with the suite's oracle over seeded rows; on live
the same rules are checked as invariants over whatever the account holds.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from binance_mock.contracts import dataset
from binance_mock.contracts.context import Context
from binance_mock.contracts.facts import (
    AMOUNT_PATTERN,
    MAX_SIZE,
    ROW_OPTIONAL,
    ROW_REQUIRED,
    STATUSES,
    TYPES,
    WALLETS,
    errors,
)
from binance_mock.contracts.registry import Skipped, check, expect

Row = dict[str, Any]


def _ids(rows: list[Row]) -> list[Any]:
    return [r.get("txId") for r in rows]


def _bounds(ctx: Context) -> tuple[int, int]:
    params = dict(ctx.window30())
    return int(params["startTime"]), int(params["endTime"])


def _filter(ctx: Context, name: str, seeded: str, pick: Callable[[Row], str | None], match: Callable[[Row, str], bool],
            oracle: dict[str, str]) -> None:  # fmt: skip
    start, end = _bounds(ctx)
    if ctx.data is not None:
        body = ctx.ok([*ctx.window30(), (name, seeded), ("size", MAX_SIZE)])
        want = ctx.data.select(start, end, **oracle)
        expect(
            body.get("total") == len(want),
            f"{name}={seeded}: total {body.get('total')}, expected {len(want)}",
        )
        expect(ctx.rows(body) == want, f"{name}={seeded}: rows {_ids(ctx.rows(body))}, expected {_ids(want)}")
        return
    ref = ctx.reference()
    values = [v for v in (pick(r) for r in ctx.rows(ref)) if v]
    if not values:
        raise Skipped(f"no row of the last 30 days has a value to filter {name} by")
    value = values[0]
    body = ctx.ok([*ctx.window30(), (name, value), ("size", MAX_SIZE)])
    wrong = [r for r in ctx.rows(body) if not match(r, value)]
    expect(not wrong, f"{name}={value}: {len(wrong)} rows do not match the filter")
    expect(body.get("total", 0) <= ref["total"], f"{name}={value}: filtered total exceeds the unfiltered one")
    if ref["total"] <= MAX_SIZE:
        n = sum(1 for r in ctx.rows(ref) if match(r, value))
        expect(body.get("total") == n, f"{name}={value}: total {body.get('total')}, the full listing has {n}")


def _symbols(row: Row) -> tuple[Any, ...]:
    return (row.get("fromSymbol"), row.get("toSymbol"))


@check("filter.asset", "asset=X returns exactly the transfers of asset X.", "page")
def filter_asset(ctx: Context) -> None:
    _filter(ctx, "asset", dataset.PAGE_ASSET, lambda r: r.get("asset"), lambda r, v: r.get("asset") == v,
            {"asset": dataset.PAGE_ASSET})  # fmt: skip


@check("filter.type", "type=ROLL_OUT returns exactly the ROLL_OUT transfers.", "page")
def filter_type(ctx: Context) -> None:
    _filter(ctx, "type", "ROLL_OUT", lambda r: "ROLL_OUT" if r.get("type") == "ROLL_OUT" else None,
            lambda r, v: r.get("type") == v, {"type_": "ROLL_OUT"})  # fmt: skip


@check(
    "filter.isolated_symbol",
    "isolatedSymbol=S returns exactly the transfers whose fromSymbol or toSymbol is S.",
    "page, F33",
)
def filter_symbol(ctx: Context) -> None:
    _filter(ctx, "isolatedSymbol", dataset.ISO_SYMBOL, lambda r: r.get("toSymbol") or r.get("fromSymbol"),
            lambda r, v: v in _symbols(r), {"symbol": dataset.ISO_SYMBOL})  # fmt: skip


@check(
    "filter.combined",
    "asset, type and isolatedSymbol together return the rows matching all three.",
    "page",
    control=True,
)
def filter_combined(ctx: Context) -> None:
    data = ctx.seeded("compare filtered rows with known rows")
    start, end = _bounds(ctx)
    params = [("asset", dataset.ISO_ASSET), ("type", "ROLL_OUT"), ("isolatedSymbol", dataset.ISO_SYMBOL)]
    body = ctx.ok([*ctx.window30(), *params])
    want = data.select(start, end, asset=dataset.ISO_ASSET, type_="ROLL_OUT", symbol=dataset.ISO_SYMBOL)
    expect(ctx.rows(body) == want, f"three filters: rows {_ids(ctx.rows(body))}, expected {_ids(want)}")


@check(
    "filter.unknown_isolated_symbol",
    "An isolatedSymbol the account never used gives an empty result (or: -11001).",
    "F13",
    decision="unknown_isolated_symbol",
)
def unknown_symbol(ctx: Context) -> None:
    answer = ctx.get([("isolatedSymbol", "QQQZZZ9")])
    code = answer.json.get("code") if isinstance(answer.json, dict) else None
    if answer.status == 200 and isinstance(answer.json, dict):
        ctx.observe("unknown_isolated_symbol", "empty", "an unused isolatedSymbol answered 200")
        expect(
            answer.json.get("total") == 0 and not ctx.rows(answer.json), "unused isolatedSymbol: not empty"
        )
    elif code == errors.ISOLATED_ACCOUNT_MISSING.code:
        ctx.observe("unknown_isolated_symbol", "error", "an unused isolatedSymbol answered -11001")
        ctx.expect_error(answer, errors.ISOLATED_ACCOUNT_MISSING)
    else:
        ctx.observe("unknown_isolated_symbol", None, answer.describe())


# --- order ---


@check(
    "sort.descending", "Rows come newest first (timestamp descending).", "page: Response in descending order"
)
def descending(ctx: Context) -> None:
    rows = ctx.rows(ctx.reference())
    if len(rows) < 2:
        raise Skipped("fewer than 2 transfers in the last 30 days")
    stamps = [ctx.row_ms(r) for r in rows]
    bad = [i for i in range(1, len(stamps)) if stamps[i] > stamps[i - 1]]
    expect(not bad, f"row {bad[0] if bad else 0} is newer than the row before it")


@check("sort.ties", "Rows with equal timestamps are ordered by txId descending.", "F24")
def ties(ctx: Context) -> None:
    if ctx.data is not None:
        body = ctx.ok([*ctx.window30(), ("asset", dataset.TIE_ASSET)])
        got = _ids(ctx.rows(body))
        expect(got == sorted(got, reverse=True) and len(got) == 4, f"tied rows in order {got}")
        return
    rows = ctx.rows(ctx.reference())
    pairs = [(a, b) for a, b in itertools.pairwise(rows) if a.get("timestamp") == b.get("timestamp")]
    if not pairs:
        raise Skipped("no two transfers share a timestamp in the last 30 days")
    bad = [(a["txId"], b["txId"]) for a, b in pairs if a["txId"] < b["txId"]]
    expect(not bad, f"tied rows with txId ascending: {bad[:3]}")


# --- pagination ---


@dataclass
class Paging:
    base: list[tuple[str, str | int]]
    listing: list[Row]
    total: int
    size: int
    pages: list[dict[str, Any]]
    past_end: dict[str, Any]


def _paging(ctx: Context) -> Paging:
    if "paging" in ctx.memo:
        return ctx.memo["paging"]
    if ctx.data is not None:
        base = [*ctx.window30(), ("asset", dataset.PAGE_ASSET)]
        listing = ctx.ok([*base, ("size", MAX_SIZE)])
        size = 10
    else:
        base = ctx.window30()
        listing = ctx.reference()
        if listing["total"] > MAX_SIZE:
            # Narrow the window to the newest 40 rows or so, so a size-100 listing holds them all.
            end = dict(base)["endTime"]
            base = [("startTime", ctx.row_ms(ctx.rows(listing)[39])), ("endTime", end)]
            listing = ctx.ok([*base, ("size", MAX_SIZE)])
        if not 2 <= listing.get("total", 0) <= MAX_SIZE:
            raise Skipped(f"needs 2 to 100 transfers in a window; found {listing.get('total')}")
        size = listing["total"] // 3 + 1
    total = int(listing["total"])
    n = -(-total // size)
    pages = [ctx.ok([*base, ("current", c), ("size", size)]) for c in range(1, n + 1)]
    past = ctx.ok([*base, ("current", n + 1), ("size", size)])
    ctx.memo["paging"] = p = Paging(base, ctx.rows(listing), total, size, pages, past)
    return p


@check("page.disjoint", "Pages of one listing share no transfer.", "page: current/size")
def disjoint(ctx: Context) -> None:
    p = _paging(ctx)
    ids = [i for page in p.pages for i in _ids(ctx.rows(page))]
    expect(len(ids) == len(set(ids)), f"pages of size {p.size} repeat {len(ids) - len(set(ids))} transfers")


@check(
    "page.union", "Pages, in order, add up to the size-100 listing of the same query.", "page: current/size"
)
def union(ctx: Context) -> None:
    p = _paging(ctx)
    ids = [i for page in p.pages for i in _ids(ctx.rows(page))]
    expect(
        ids == _ids(p.listing), f"pages of size {p.size} give {len(ids)} rows, the listing {len(p.listing)}"
    )


@check("page.total_constant", "total is the same on every page and equals the listing's total.", "page")
def total_constant(ctx: Context) -> None:
    p = _paging(ctx)
    totals = [page.get("total") for page in [*p.pages, p.past_end]]
    expect(all(t == p.total for t in totals), f"totals across pages {totals}, listing total {p.total}")


@check("page.last_short", "Every page holds size rows except the last, which holds the remainder.", "page")
def last_short(ctx: Context) -> None:
    p = _paging(ctx)
    sizes = [len(ctx.rows(page)) for page in p.pages]
    want = [p.size] * (len(p.pages) - 1) + [p.total - p.size * (len(p.pages) - 1)]
    expect(sizes == want, f"page sizes {sizes}, expected {want} (size {p.size}, total {p.total})")


@check("page.past_end", "A page past the last is empty and keeps the true total.", "F5")
def past_end(ctx: Context) -> None:
    p = _paging(ctx)
    expect(not ctx.rows(p.past_end), f"page {len(p.pages) + 1} of {len(p.pages)} returned rows")
    expect(p.past_end.get("total") == p.total, f"page past the end: total {p.past_end.get('total')}")


# --- shape ---


@check("shape.body", 'A 200 body is exactly {"rows": [...], "total": int}.', "page, §5.2")
def body_shape(ctx: Context) -> None:
    body = ctx.reference()
    total = body.get("total")
    expect(isinstance(total, int) and not isinstance(total, bool) and total >= 0, f"total is {total!r}")
    keys = set(body)
    expect(keys <= {"rows", "total"}, f"unexpected keys {sorted(keys - {'rows', 'total'})}")
    if total:
        expect(isinstance(body.get("rows"), list), "rows missing from a non-empty answer")
    expect(len(ctx.rows(body)) <= total, f"{len(ctx.rows(body))} rows but total {total}")


def _row_problems(row: Row) -> list[str]:
    out = [f"missing {k}" for k in ROW_REQUIRED if k not in row]
    out += [f"unknown field {k}" for k in row if k not in ROW_REQUIRED + ROW_OPTIONAL]
    for k in ("timestamp", "txId"):
        v = row.get(k)
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            out.append(f"{k} is {v!r}, not a JSON integer")
    for k in ("amount", "asset", *ROW_OPTIONAL):
        if k in row and not (isinstance(row[k], str) and row[k]):
            out.append(f"{k} is {row[k]!r}, not a string")
    if row.get("type") not in TYPES:
        out.append(f"type {row.get('type')!r}")
    if row.get("status") not in STATUSES:
        out.append(f"status {row.get('status')!r}")
    out += [f"{k} {row[k]!r}" for k in ("transFrom", "transTo") if k in row and row[k] not in WALLETS]
    return out


@check(
    "shape.row_fields",
    "Each row has amount, asset, status, timestamp, txId, type (+ optional transFrom/transTo/fromSymbol/"
    "toSymbol) with the page's types and values.",
    "page, §5.2",
)
def row_fields(ctx: Context) -> None:
    rows = ctx.rows(ctx.reference())
    if not rows:
        raise Skipped("no transfers in the last 30 days")
    bad = [(r.get("txId"), p) for r in rows if (p := _row_problems(r))]
    expect(
        not bad,
        f"{len(bad)} rows malformed, e.g. txId {bad[0][0] if bad else ''}: {bad[0][1] if bad else ''}",
    )


@check("shape.amount_8dp", 'amount is a string with exactly 8 decimals ("0.10000000").', "page, F26")
def amount(ctx: Context) -> None:
    rows = ctx.rows(ctx.reference())
    if not rows:
        raise Skipped("no transfers in the last 30 days")
    bad = [
        r.get("amount")
        for r in rows
        if not (isinstance(r.get("amount"), str) and re.match(AMOUNT_PATTERN, r["amount"]))
    ]
    expect(not bad, f"amounts not 8-decimal strings: {bad[:3]}")


@check(
    "shape.timestamp_unit",
    "rows[].timestamp is in milliseconds (or: seconds, as the page's example prints).",
    "F1",
    decision="row_timestamp_unit",
)
def timestamp_unit(ctx: Context) -> None:
    rows = ctx.rows(ctx.reference())
    if not rows:
        raise Skipped("no transfers in the last 30 days to look at")
    stamps = [r.get("timestamp") for r in rows if isinstance(r.get("timestamp"), int)]
    if stamps and all(t >= 10**12 for t in stamps):
        ctx.observe("row_timestamp_unit", "ms", "13-digit timestamps")
    elif stamps and all(10**9 <= t < 10**11 for t in stamps):
        ctx.observe("row_timestamp_unit", "s", "10-digit timestamps")
    else:
        ctx.observe("row_timestamp_unit", None, f"timestamps like {stamps[:2]}")


@check(
    "shape.empty_result",
    'An empty result is {"rows": [], "total": 0} (or: {"total": 0} without rows).',
    "F2",
    decision="empty_rows",
)
def empty_result(ctx: Context) -> None:
    body = ctx.ok([("startTime", 1_000_000), ("endTime", 2_000_000)])  # a window in January 1970
    if body == {"rows": [], "total": 0}:
        ctx.observe("empty_rows", "list", "rows: []")
    elif body == {"total": 0}:
        ctx.observe("empty_rows", "absent", "rows absent")
    else:
        ctx.observe("empty_rows", None, str(body)[:100])


@check(
    "data.exact",
    "Seeded transfers come back field for field, newest first, with the exact total.",
    "page, F24, F25",
    control=True,
)
def exact(ctx: Context) -> None:
    data = ctx.seeded("compare rows with known rows")
    start, end = _bounds(ctx)
    body = ctx.reference()
    want = data.select(start, end)
    expect(body.get("total") == len(want), f"total {body.get('total')}, seeded {len(want)}")
    got = ctx.rows(body)
    diff = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), None)
    expect(
        got == want[:MAX_SIZE], f"rows differ from the seeded rows (first at index {diff}, {len(got)} rows)"
    )
