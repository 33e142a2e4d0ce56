"""The wallet endpoints: universal transfers between the wallets the mock holds (world tier)."""
