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
    levels JSONB NOT NULL,
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
