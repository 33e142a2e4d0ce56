"""The strategy of `make test-freqtrade`'s live run: it buys every whitelisted pair once, with a
limit order a little above the ask so that it fills at once, then rests a limit sell 4% above what
it paid, which fills when the run steers the mock's price up. Not a strategy to trade with."""

from typing import Any

from freqtrade.persistence import Trade
from mock_probe import MockProbe  # freqtrade puts this folder on sys.path while it loads a strategy


class MockLive(MockProbe):
    """MockProbe's candles and signals; its own exit: the resting take-profit below."""

    minimal_roi = {"0": 10}  # never: the exit is the resting take-profit below

    # freqtrade calls each callback with keyword arguments: these take the ones they read.
    def confirm_trade_entry(self, pair: str, **kwargs: Any) -> bool:
        return not Trade.get_trades_proxy(pair=pair)  # one trade a pair, so the run ends

    def custom_entry_price(self, proposed_rate: float, **kwargs: Any) -> float:
        return proposed_rate * 1.002  # through the ask even if the market moved since freqtrade read it

    def custom_exit(self, **kwargs: Any) -> str:
        return "take_profit"  # as soon as the entry filled

    def custom_exit_price(self, trade: Trade, **kwargs: Any) -> float:
        return trade.open_rate * 1.04  # rests on the book (the config allows 10% from the bid)
