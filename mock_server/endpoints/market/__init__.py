"""The market-data endpoints, answered from the seeded market (mock_server/market/)."""
