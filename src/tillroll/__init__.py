"""Tillroll: a self-hosted receipts platform."""

__version__ = "0.1.0"
