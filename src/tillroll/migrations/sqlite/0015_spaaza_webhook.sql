-- The Spaaza chain's receipt webhook (`webhook_config_*`), owned by the facade: each created
-- receipt is POSTed to `url` in Spaaza's receipt shape, with HTTP basic auth when a user is set.
CREATE TABLE spaaza_webhook_config (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    url TEXT NOT NULL,
    basic_auth_user TEXT,
    basic_auth_pass TEXT,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id)
);
