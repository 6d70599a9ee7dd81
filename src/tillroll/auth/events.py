"""The API key events (the key as listed: never its secret)."""

from __future__ import annotations

from tillroll.auth.schemas import ApiKey
from tillroll.events.catalog import EventType

API_KEY_CREATED = EventType("api_key.created", ApiKey, "An API key was created.")
API_KEY_REVOKED = EventType("api_key.revoked", ApiKey, "An API key was revoked.")
