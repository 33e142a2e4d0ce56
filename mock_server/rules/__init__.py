"""Binance's rules, free of state and of HTTP: errors, fidelity decisions, parameters, signatures."""
