"""Running the mock from Python and pytest: MockBinance and the binance_mock fixture."""
