"""A listenKey as a stream name (`/ws/<listenKey>`, `/stream?streams=<listenKey>/...`): the
user data events of the key's account and wallet, from the world's outbox
(mock_server/state/events.py), as the REST writes that made them stand; and `listenKeyExpired`
once, when the mock's clock passes the key's 60 minutes."""

from __future__ import annotations

from typing import Any

from mock_server.market.model import Market
from mock_server.state.events import Outbox
from mock_server.state.listen_keys import ListenKeys
from mock_server.streams.feeds import Feed
from mock_server.streams.names import Stream


class UserData(Feed):
    def __init__(self, stream: Stream, outbox: Outbox, keys: ListenKeys) -> None:
        super().__init__(stream)
        self.outbox, self.keys = outbox, keys
        self.seq = outbox.last_seq  # what was published before the subscription is not sent
        self.expired = False

    def advance(self, m: Market, now: int) -> list[Any]:
        key = self.keys.keys.get(self.stream.name)
        out: list[Any] = []
        for event in self.outbox.since(self.seq):
            self.seq = event.seq
            if (
                key is not None
                and key.expires_ms > now
                and (event.api_key, event.wallet) == (key.api_key, key.wallet)
            ):
                out.append(event.payload)
        if key is not None and key.expires_ms <= now and not self.expired:
            self.expired = True
            out.append({"e": "listenKeyExpired", "E": now, "listenKey": self.stream.name})
        return out
