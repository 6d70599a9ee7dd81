-- Loyalty levels (tillroll.wallets.levels): a merchant's programme (ordered levels with
-- thresholds, a review period) and each customer's level once a review moved it.
CREATE TABLE loyalty_programmes (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    id UUID NOT NULL,
    number INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    review_months INTEGER NOT NULL,
    starts_at TIMESTAMPTZ NOT NULL,
    levels TEXT NOT NULL,
    last_review INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, id),
    UNIQUE (merchant_id),
    UNIQUE (merchant_id, number)
);

CREATE TABLE loyalty_members (
    merchant_id UUID NOT NULL,
    programme_id UUID NOT NULL,
    customer_id UUID NOT NULL,
    level INTEGER NOT NULL,
    points BIGINT NOT NULL,
    reached_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, programme_id, customer_id),
    FOREIGN KEY (merchant_id, programme_id) REFERENCES loyalty_programmes (merchant_id, id),
    FOREIGN KEY (merchant_id, customer_id) REFERENCES customers (merchant_id, id)
);

-- The ledger's write path: a wallet's soonest expiry of a lot with something left or an
-- active code (or earlier, never later), so a write sweeps only when something is due.
ALTER TABLE wallets ADD COLUMN next_expiry TIMESTAMPTZ;
UPDATE wallets SET next_expiry = (
    SELECT MIN(x) FROM (
        SELECT expires_at AS x FROM wallet_lots AS l
        WHERE l.merchant_id = wallets.merchant_id AND l.wallet_id = wallets.id
          AND l.remaining > 0 AND l.expires_at IS NOT NULL
        UNION ALL
        SELECT expires_at FROM wallet_redemptions AS r
        WHERE r.merchant_id = wallets.merchant_id AND r.wallet_id = wallets.id
          AND r.status = 'active' AND r.expires_at IS NOT NULL
    ) AS due
);
