from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from msgspec import UNSET, Meta, UnsetType

from tillroll.kit.schemas import Schema

Color = Annotated[str, Meta(pattern=r"^#[0-9A-Fa-f]{6}$", description="A hex colour, `#1A2B3C`.")]


class MerchantSettings(Schema):
    """Branding and defaults used when receipts are rendered and sent."""

    default_currency: Annotated[str, Meta(pattern=r"^[A-Z]{3}$")] = "EUR"
    timezone: Annotated[str, Meta(description="IANA time zone, e.g. `Europe/Amsterdam`.")] = "UTC"
    logo_url: str | None = None
    website_url: str | None = None
    email: str | None = None
    phone: str | None = None
    brand_color: Color | None = None
    background_color: Color | None = None
    email_subject: (
        Annotated[str, Meta(description="Subject of receipt e-mails.", max_length=200)] | None
    ) = None


class MerchantSettingsPatch(Schema):
    """Settings to change; omitted ones keep their value, null clears."""

    default_currency: Annotated[str, Meta(pattern=r"^[A-Z]{3}$")] | UnsetType = UNSET
    timezone: str | UnsetType = UNSET
    logo_url: str | UnsetType | None = UNSET
    website_url: str | UnsetType | None = UNSET
    email: str | UnsetType | None = UNSET
    phone: str | UnsetType | None = UNSET
    brand_color: Color | UnsetType | None = UNSET
    background_color: Color | UnsetType | None = UNSET
    email_subject: Annotated[str, Meta(max_length=200)] | UnsetType | None = UNSET


class MerchantSettingsUpdate(Schema):
    """Fields to change; omitted fields keep their value."""

    name: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    settings: MerchantSettingsPatch | None = None


class Merchant(Schema):
    id: uuid.UUID
    number: Annotated[int, Meta(description="Sequential integer id (Spaaza's chain id).")]
    name: str
    settings: MerchantSettings
    created_at: datetime
    updated_at: datetime
