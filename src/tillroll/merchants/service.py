"""Merchants: the tenants. Created by the operator (CLI); each manages its own settings."""

from __future__ import annotations

import secrets
import uuid

from tillroll.auth.principals import Scope
from tillroll.auth.schemas import ApiKeyCreate, ApiKeyCreated
from tillroll.auth.service import auth as auth_service
from tillroll.errors import FieldError, InvalidInput, NotFound
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection
from tillroll.kit.updates import merged
from tillroll.kit.validate import check_currency, check_email, check_timezone
from tillroll.merchants.repository import MerchantRepository
from tillroll.merchants.schemas import Merchant, MerchantSettings, MerchantSettingsUpdate


def _check(settings: MerchantSettings) -> None:
    errors: list[FieldError] = []
    check_currency("settings.default_currency", settings.default_currency, errors)
    check_timezone("settings.timezone", settings.timezone, errors)
    check_email("settings.email", settings.email, errors)
    if errors:
        raise InvalidInput.fields(errors)


class MerchantService:
    async def create(
        self, conn: Connection, name: str, settings: MerchantSettings | None = None
    ) -> tuple[Merchant, ApiKeyCreated]:
        """A new merchant and its first admin key (operator only)."""
        settings = settings or MerchantSettings()
        _check(settings)
        merchant = await MerchantRepository.of(conn).insert(
            name=name, settings=settings, session_secret=secrets.token_hex(32), now=utc_now()
        )
        key = await auth_service.create_key(
            conn, merchant.id, ApiKeyCreate(name="admin", scopes=[Scope.admin])
        )
        return merchant, key

    async def get(self, conn: Connection, merchant_id: uuid.UUID) -> Merchant:
        merchant = await MerchantRepository.of(conn).get(merchant_id)
        if merchant is None:
            raise NotFound(f"No merchant {merchant_id}.")
        return merchant

    async def session_secret(self, conn: Connection, merchant_id: uuid.UUID) -> str | None:
        """The key shopper sessions are signed with (None: no such merchant)."""
        return await MerchantRepository.of(conn).session_secret(merchant_id)

    async def by_number(self, conn: Connection, number: int) -> Merchant:
        merchant = await MerchantRepository.of(conn).get_by_number(number)
        if merchant is None:
            raise NotFound(f"No merchant number {number}.")
        return merchant

    async def list(self, conn: Connection) -> list[Merchant]:
        return await MerchantRepository.of(conn).list()

    async def update(
        self, conn: Connection, merchant_id: uuid.UUID, update: MerchantSettingsUpdate
    ) -> Merchant:
        current = await self.get(conn, merchant_id)
        settings = (
            merged(current.settings, update.settings) if update.settings else current.settings
        )
        _check(settings)
        return await MerchantRepository.of(conn).update(
            merchant_id, name=update.name or current.name, settings=settings, now=utc_now()
        )


merchant = MerchantService()
