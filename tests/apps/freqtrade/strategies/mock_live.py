"""The strategy of `make test-freqtrade`'s live run: it buys every whitelisted pair once, with a
limit order a little above the ask so that it fills at once, then rests a limit sell 4% above what
it paid, which fills when the run steers the mock's price up. Not a strategy to trade with."""

from typing import Any

from freqtrade.persistence import Trade
from freqtrade.strategy import IStrategy
from pandas import DataFrame


class MockLive(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1m"
    minimal_roi = {"0": 10}  # never: the exit is the resting take-profit below
    stoploss = -0.99  # never takes a loss
    startup_candle_count = 20
    process_only_new_candles = True

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["sma20"] = dataframe["close"].rolling(20).mean()  # reads the history
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["exit_long"] = 0
        return dataframe

    # freqtrade calls each callback with keyword arguments: these take the ones they read.
    def confirm_trade_entry(self, pair: str, **kwargs: Any) -> bool:
        return not Trade.get_trades_proxy(pair=pair)  # one trade a pair, so the run ends

    def custom_entry_price(self, proposed_rate: float, **kwargs: Any) -> float:
        return proposed_rate * 1.002  # through the ask even if the market moved since freqtrade read it

    def custom_exit(self, **kwargs: Any) -> str:
        return "take_profit"  # as soon as the entry filled

    def custom_exit_price(self, trade: Trade, **kwargs: Any) -> float:
        return trade.open_rate * 1.04  # rests on the book (the config allows 10% from the bid)
