"""Webhooks: Standard Webhooks deliveries of the merchant's events to its endpoints."""
