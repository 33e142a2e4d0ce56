"""Binance's market data streams over WebSocket, free of HTTP (docs/streams.md)."""
