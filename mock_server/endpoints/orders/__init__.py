"""Orders: spot and margin, placed, matched and read back (mock_server/trading/ is the engine)."""
