"""Wallets: store credit and points ledgers, their lots and expiry, and redemption codes."""
