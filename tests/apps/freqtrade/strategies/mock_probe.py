"""The strategy of `make test-freqtrade`'s dry run: it enters every whitelisted pair at once and
exits at 3% profit, so the run shows candles read, analysed and traded on within a minute, and an
exit once it steers the mock's price up. Not a strategy to trade with."""

from freqtrade.strategy import IStrategy
from pandas import DataFrame


class MockProbe(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1m"
    minimal_roi = {"0": 0.03}  # takes 3%: the run steers the mock's price up 6% to see it exit
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
