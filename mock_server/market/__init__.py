"""The seeded market: symbols, their price paths, candles, trades and books (docs/market.md)."""
