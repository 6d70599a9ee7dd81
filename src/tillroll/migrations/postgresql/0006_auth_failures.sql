-- Failed authentications per client address in the current one-minute window
-- (tillroll.auth.ratelimit): written only when authentication fails, shared by every
-- server process using this database.
CREATE TABLE auth_failures (
    address TEXT PRIMARY KEY,
    minute INTEGER NOT NULL,
    failures INTEGER NOT NULL
);
CREATE INDEX auth_failures_minute ON auth_failures (minute);
