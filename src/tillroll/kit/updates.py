"""Helpers for PATCH bodies whose omitted fields are `msgspec.UNSET`."""

from __future__ import annotations

from typing import Any

import msgspec


def given(update: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body set (None included: it clears the field)."""
    return {
        name: getattr(update, name)
        for name in update.__struct_fields__
        if getattr(update, name) is not msgspec.UNSET
    }


def merged(current: msgspec.Struct, update: msgspec.Struct) -> Any:
    """`current` with `update`'s given fields applied (for validation before writing)."""
    return msgspec.structs.replace(current, **given(update))
