"""Trading: orders checked against a pair's filters, matched against the market, settled into wallets."""
