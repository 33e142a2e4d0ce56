"""Binance's order of checks (F16), written once: every endpoint, every source of an answer.

`Pipeline.run` reads top to bottom as the order Binance answers in. Each step either passes
or raises the BinanceError of its rule; the first broken rule answers, and the journal names
the step (`STEPS`). An injected fault, the pacing rule and a cassette replay are steps of the
same list, so a request that breaks an earlier rule gets that rule's answer whatever comes
later: a bad signature is -1022 even with a fault armed or a recording on file.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from mock_server.endpoints.declaration import SAPI_JSON, Context, Endpoint, Security
from mock_server.endpoints.registry import Registry
from mock_server.exchange.wire import Call, Forward, Reply
from mock_server.exchange.world import World
from mock_server.injection.faults import Outcome
from mock_server.injection.placeholders import filler
from mock_server.replay.cassette import Cassette
from mock_server.rules import errors, security
from mock_server.rules.errors import BinanceError, error_body
from mock_server.rules.fidelity import Profile
from mock_server.rules.params import Params, read_params, request_params
from mock_server.state.accounts import Account, KeyStore
from mock_server.state.weights import retry_after_s

# The steps in Binance's order; the journal's `check` names the one that answered
# ("ok", "replay" or "cassette" for an answer: the ledger's, a recording, a cassette miss).
STEPS = (
    "route",  # method and path: -1099 (404, or 405 for a method the path lacks)
    "weight",  # request weight this minute: -1003 (429) with Retry-After
    "key",  # X-MBX-APIKEY: -2014, -2015 (also a missing permission)
    "mandatory",  # timestamp and signature sent: -1102 (-1101 sent twice)
    "recv_window",  # -1100, -1131
    "timestamp",  # -1021
    "signature",  # -1022
    "parameter",  # the declared parameters: -1100, -1101, -1102, -1104, -1130
    "rules",  # the endpoint's own rules (a time window, a symbol): -1127, -3011, -11001
    "fault",  # an injected rule: its error, latency or a broken connection
    "pacing",  # calls of one account too close: -21003
    "account",  # the account the endpoint needs: -3003
    "orders",  # the account's new orders per 10 s and per day: -1015 (429)
    "answer",  # a cassette's recording (or its miss): a recorded answer changes nothing
    "write",  # the endpoint's write step (a balance too low: -2010), then its own answer
)


class Pipeline:
    def __init__(
        self, registry: Registry, keys: KeyStore, world: World, profile: Profile,
        cassette: Cassette | None = None, on_miss: str = "error", record_mode: str = "none",
    ) -> None:  # fmt: skip
        self.registry, self.keys, self.world, self.profile = registry, keys, world, profile
        self.cassette, self.on_miss = cassette, on_miss
        self.record_mode = record_mode  # "new" or "all": a recording proxy (replay/proxy.py)
        # The parts every call reads, at hand (the world's lock is in each).
        self.clock, self.ledger, self.wallets = world.clock, world.ledger, world.wallets
        self.weights, self.faults, self.pacer = world.weights, world.faults, world.pacer
        self.market, self.universal, self.loans = world.market, world.universal, world.loans

    def run(self, call: Call) -> Reply | Forward:
        step, content_type, headers, delay_ms, tier = "route", SAPI_JSON, {}, 0, None
        try:
            endpoint = self.registry.find(call.method, call.path)
            content_type, tier = endpoint.content_type, endpoint.tier
            if self.record_mode != "none":
                return self._proxied(call, tier)
            step = "weight"
            now = self.clock.now_ms()
            self._weigh(endpoint, call, now, headers)
            account: Account | None = None
            params: Params | None = None
            if endpoint.security is not Security.NONE:
                step = "key"
                account = security.check_key(call.api_key, self.keys.get, endpoint.permission)
            if account is not None and endpoint.security is Security.SIGNED:
                step = "mandatory"
                params = request_params(call.method, call.query, call.body)
                signed = security.require_signed(params, need_signature=call.signature_ok is None)
                step = "recv_window"
                window = security.recv_window(params)
                step = "timestamp"
                security.check_timestamp(signed.timestamp, window, now, self.profile, self.clock.lenient_ms())
                step = "signature"
                if call.signature_ok is None:
                    security.check_signature(account, call.query, call.body, signed.signature, self.profile)
                elif not call.signature_ok:
                    raise BinanceError(errors.INVALID_SIGNATURE)
            step = "parameter"
            if params is None:
                params = request_params(call.method, call.query, call.body)
            values = read_params(params, endpoint.params, endpoint.known, self.profile)
            step = "rules"
            ctx = Context(
                now, self.profile, self.ledger, account, self.wallets, self.market, self.weights, self.universal,
                self.loans, self.world.orders,
            )  # fmt: skip
            request = endpoint.rules(values, ctx)
            step = "fault"
            outcome = self.faults.decide(
                call.path, call.api_key, params.first, endpoint.security is Security.SIGNED,
                filler(endpoint, params.first, self.weights),
            )  # fmt: skip
            delay_ms = outcome.delay_ms
            if outcome.drop is not None or outcome.error is not None:
                return self._fault_reply(outcome, content_type, headers, tier)
            step = "pacing"
            if endpoint.paced and account is not None:
                paced = self.pacer.check(account.api_key, now)
                if paced is not None:
                    raise paced
            step = "account"
            if endpoint.margin_account and account is not None and not account.margin_account:
                raise BinanceError(errors.NO_MARGIN_ACCOUNT)  # F21
            step = "orders"
            if endpoint.places_order and account is not None:
                self._count_order(account.api_key, headers)
            step = "answer"
            if self.cassette is not None and self.cassette.records(call.method, call.path):
                pairs = [(p.name, p.value) for p in params.items]
                hit = self.cassette.answer(call.method, call.path, pairs, self.on_miss)
                if hit is not None:
                    return Reply(hit.status, hit.body, {**hit.headers, **headers}, hit.content_type,
                                 delay_ms, code=hit.code, msg=hit.msg, check=hit.check, tier=tier)  # fmt: skip
            if endpoint.write is None or account is None:
                if endpoint.tier != "world":
                    return Reply(
                        200, endpoint.answer(request, ctx), headers, content_type, delay_ms, tier=tier
                    )
                settled: list[dict[str, Any]] = []
                with self.world.lock:  # a steer, or another answer filling the market's caches
                    if account is not None:  # resting orders the market reached since; interest
                        settled = self.world.settle(now)
                    if endpoint.margin_account and account is not None:
                        self.world.operations(account.api_key, now).accrue()
                    body = endpoint.answer(request, ctx)
                return Reply(200, body, headers, content_type, delay_ms, tier=tier, changes=tuple(settled))
            step = "write"
            ops = self.world.operations(account.api_key, now)
            with self.world.lock:  # the write and the answer see one world: no write between them
                # What the market filled since (the journal shows it with this call's own changes).
                settled = self.world.settle(now)
                try:
                    request = endpoint.write(request, ctx, ops)
                except BinanceError as err:
                    if not err.keeps_changes:  # a refusal leaves nothing of its own moved
                        ops.undo()
                    ops.publish()
                    changes = (*settled, *ops.changes)
                    return _refusal(err, content_type, headers, step, tier, delay_ms, changes=changes)
                ops.publish()  # the account's user data streams hear of it
                body = endpoint.answer(request, ctx)
            return Reply(
                200, body, headers, content_type, delay_ms, tier=tier, changes=(*settled, *ops.changes)
            )
        except BinanceError as err:
            return _refusal(err, content_type, headers, step, tier, delay_ms)

    def _proxied(self, call: Call, tier: str | None) -> Reply | Forward:
        """F40: a recording proxy checks nothing of its own (the app's key is the upstream's, and
        so is the secret); in `new` it replays what the cassette has and forwards the rest."""
        if self.record_mode == "new" and self.cassette is not None:
            try:
                params = request_params(call.method, call.query, call.body)
            except BinanceError:  # not UTF-8: never recorded, so the upstream answers it
                return Forward(tier)
            pairs = [(p.name, p.value) for p in params.items]
            hit = self.cassette.find(call.method, call.path, pairs, repeat_last=False)
            if hit is not None:
                r = hit.response
                code, msg = r.error()
                return Reply(r.status, r.body, r.passed_on_headers(), r.content_type, code=code, msg=msg,
                             check="replay", tier=tier)  # fmt: skip
        return Forward(tier)

    def _weigh(self, endpoint: Endpoint, call: Call, now: int, headers: dict[str, str]) -> None:
        """F18: count the call's weight into `headers`; every answer on the path reports it."""
        weight = endpoint.weight
        if endpoint.weight_of is not None:
            # Not UTF-8: the parameter step answers it, after the base weight.
            with contextlib.suppress(BinanceError):
                weight = endpoint.weight_of(request_params(call.method, call.query, call.body).first)
        if not endpoint.sapi:
            spend = self.weights.api_ip.spend(call.client_ip, weight, now)
            headers["X-MBX-USED-WEIGHT"] = headers["X-MBX-USED-WEIGHT-1M"] = str(spend.used)
        elif endpoint.weight_kind == "UID":
            # Counted before the key is checked, so by the key as sent (else by the IP).
            who = call.api_key or call.client_ip
            spend = self.weights.sapi_uid.spend(f"{who} {call.path}", weight, now)
            headers["X-SAPI-USED-UID-WEIGHT-1M"] = str(spend.used)
        else:
            spend = self.weights.sapi_ip.spend(f"{call.client_ip} {call.path}", weight, now)
            headers["X-SAPI-USED-IP-WEIGHT-1M"] = str(spend.used)
        if spend.over:
            headers["Retry-After"] = str(spend.retry_after_s)
            raise BinanceError(errors.TOO_MUCH_WEIGHT, spend.limit, "1 MINUTE")

    def _count_order(self, api_key: str, headers: dict[str, str]) -> None:
        """A new order counts in the account's windows, which follow the wall clock (they meter
        real traffic); the answer reports both counts."""
        wall = time.time_ns() // 1_000_000
        over = None
        for counter, suffix, per in ((self.weights.orders_10s, "10S", "10 SECOND"),
                                     (self.weights.orders_1d, "1D", "1 DAY")):  # fmt: skip
            spend = counter.spend(api_key, 1, wall)
            headers[f"X-MBX-ORDER-COUNT-{suffix}"] = str(spend.used)
            if spend.over and over is None:
                over = spend, per
        if over is not None:
            spend, per = over
            headers["Retry-After"] = str(spend.retry_after_s)
            raise BinanceError(errors.TOO_MANY_ORDERS, spend.limit, per)

    def _fault_reply(
        self, outcome: Outcome, content_type: str, headers: dict[str, str], tier: str | None
    ) -> Reply:
        if outcome.drop is not None:
            return Reply(0, b"", headers, content_type, outcome.delay_ms, outcome.drop, check="fault",
                         rule_id=outcome.rule_id, tier=tier)  # fmt: skip
        err = outcome.error
        assert err is not None
        if err.status == 429 and "Retry-After" not in headers:
            after = (
                outcome.retry_after if outcome.retry_after is not None else retry_after_s(self.clock.now_ms())
            )
            headers["Retry-After"] = str(after)
        return _refusal(err, content_type, headers, "fault", tier, outcome.delay_ms, outcome.rule_id)


def _refusal(
    err: BinanceError, content_type: str, headers: dict[str, str], step: str, tier: str | None,
    delay_ms: int = 0, rule_id: int | None = None, changes: tuple[dict[str, Any], ...] = (),
) -> Reply:  # fmt: skip
    return Reply(err.status, error_body(err.code, err.msg, err.data), headers, content_type, delay_ms,
                 code=err.code, msg=err.msg, check=step, rule_id=rule_id, tier=tier, changes=changes)  # fmt: skip
