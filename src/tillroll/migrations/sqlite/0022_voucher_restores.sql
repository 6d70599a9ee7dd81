-- Wallet vouchers (tillroll.wallets): what each return line restored of a redemption code
-- used on its original receipt, so partial returns add up exactly and a replay restores
-- nothing twice (the primary key).
CREATE TABLE wallet_voucher_restores (
    merchant_id UUID NOT NULL,
    receipt_id UUID NOT NULL,
    line_no INTEGER NOT NULL,
    redemption_id UUID NOT NULL,
    wallet_id UUID NOT NULL,
    entry_id UUID,
    value BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, receipt_id, line_no, redemption_id),
    FOREIGN KEY (merchant_id, redemption_id) REFERENCES wallet_redemptions (merchant_id, id),
    FOREIGN KEY (merchant_id, entry_id) REFERENCES wallet_entries (merchant_id, id)
);
CREATE INDEX wallet_voucher_restores_code ON wallet_voucher_restores (merchant_id, redemption_id);
CREATE INDEX wallet_redemptions_receipt ON wallet_redemptions (merchant_id, receipt_id);
