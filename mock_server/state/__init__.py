"""What one mock holds: accounts, clock, ledger and its data, journal, weights, pacing."""
