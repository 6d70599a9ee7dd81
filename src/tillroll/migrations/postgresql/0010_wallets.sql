-- Wallets (tillroll.wallets): per customer one `credit` (monetary) and one `points` wallet,
-- an append-only ledger of entries, the lots credits are held in (with their expiry), the
-- draws (which lots each debit took from, so a reversal restores exactly those) and the
-- redemption codes holding credit against the balance.
CREATE TABLE wallets (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    id UUID NOT NULL,
    customer_id UUID NOT NULL,
    kind TEXT NOT NULL,
    currency TEXT,
    title TEXT NOT NULL,
    lifetime_days INTEGER,
    allow_overdraft BOOLEAN NOT NULL,
    code_lifetime_hours INTEGER,
    balance BIGINT NOT NULL,
    debt BIGINT NOT NULL,
    entry_count BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, id),
    UNIQUE (merchant_id, customer_id, kind),
    FOREIGN KEY (merchant_id, customer_id) REFERENCES customers (merchant_id, id)
);

CREATE TABLE wallet_entries (
    merchant_id UUID NOT NULL,
    id UUID NOT NULL,
    wallet_id UUID NOT NULL,
    seq BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    reason TEXT NOT NULL,
    note TEXT,
    receipt_id UUID,
    campaign_id UUID,
    redemption_id UUID,
    reverses UUID,
    lot_id UUID,
    actor TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, id),
    UNIQUE (merchant_id, wallet_id, seq),
    UNIQUE (merchant_id, reverses),
    FOREIGN KEY (merchant_id, wallet_id) REFERENCES wallets (merchant_id, id)
);
CREATE INDEX wallet_entries_time ON wallet_entries (merchant_id, wallet_id, created_at);

CREATE TABLE wallet_lots (
    merchant_id UUID NOT NULL,
    id UUID NOT NULL,
    wallet_id UUID NOT NULL,
    entry_id UUID NOT NULL,
    amount BIGINT NOT NULL,
    remaining BIGINT NOT NULL,
    granted_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    swept BOOLEAN NOT NULL,
    PRIMARY KEY (merchant_id, id),
    FOREIGN KEY (merchant_id, wallet_id) REFERENCES wallets (merchant_id, id),
    FOREIGN KEY (merchant_id, entry_id) REFERENCES wallet_entries (merchant_id, id)
);
CREATE INDEX wallet_lots_wallet ON wallet_lots (merchant_id, wallet_id, expires_at);

CREATE TABLE wallet_draws (
    merchant_id UUID NOT NULL,
    entry_id UUID NOT NULL,
    lot_id UUID NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, entry_id, lot_id),
    FOREIGN KEY (merchant_id, entry_id) REFERENCES wallet_entries (merchant_id, id),
    FOREIGN KEY (merchant_id, lot_id) REFERENCES wallet_lots (merchant_id, id)
);

CREATE TABLE wallet_redemptions (
    merchant_id UUID NOT NULL,
    id UUID NOT NULL,
    wallet_id UUID NOT NULL,
    customer_id UUID NOT NULL,
    code TEXT NOT NULL,
    amount BIGINT NOT NULL,
    status TEXT NOT NULL,
    hold_entry_id UUID NOT NULL,
    receipt_id UUID,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    PRIMARY KEY (merchant_id, id),
    UNIQUE (merchant_id, code),
    FOREIGN KEY (merchant_id, wallet_id) REFERENCES wallets (merchant_id, id),
    FOREIGN KEY (merchant_id, hold_entry_id) REFERENCES wallet_entries (merchant_id, id)
);
CREATE INDEX wallet_redemptions_wallet ON wallet_redemptions (merchant_id, wallet_id, status);
