-- Billing database of the workbook's cluster scenario (seed 002, tool run_postgres_query).
-- Portable SQL: the same file builds the embedded SQLite database and a PostgreSQL one.
-- Money is in integer cents and times are UTC 'YYYY-MM-DD HH:MM:SS', so both engines agree.

DROP TABLE IF EXISTS payments;
DROP TABLE IF EXISTS invoices;
DROP TABLE IF EXISTS customers;
DROP TABLE IF EXISTS plans;

CREATE TABLE plans (
    plan_id             INTEGER PRIMARY KEY,
    code                TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    monthly_price_cents INTEGER NOT NULL CHECK (monthly_price_cents >= 0),
    currency            TEXT NOT NULL DEFAULT 'USD'
);

CREATE TABLE customers (
    customer_id INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL UNIQUE,
    country     TEXT NOT NULL,
    plan_id     INTEGER NOT NULL REFERENCES plans (plan_id),
    status      TEXT NOT NULL CHECK (status IN ('active', 'past_due', 'cancelled')),
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE invoices (
    invoice_id     INTEGER PRIMARY KEY,
    invoice_number TEXT NOT NULL UNIQUE,
    customer_id    INTEGER NOT NULL REFERENCES customers (customer_id),
    amount_cents   INTEGER NOT NULL CHECK (amount_cents >= 0),
    currency       TEXT NOT NULL DEFAULT 'USD',
    status         TEXT NOT NULL CHECK (status IN ('open', 'paid', 'past_due', 'void')),
    issued_at      TIMESTAMP NOT NULL,
    due_at         TIMESTAMP NOT NULL
);

CREATE TABLE payments (
    payment_id     INTEGER PRIMARY KEY,
    invoice_id     INTEGER NOT NULL REFERENCES invoices (invoice_id),
    amount_cents   INTEGER NOT NULL CHECK (amount_cents >= 0),
    status         TEXT NOT NULL CHECK (status IN ('succeeded', 'failed', 'pending', 'refunded')),
    failure_reason TEXT,
    processed_by   TEXT NOT NULL,  -- the Kubernetes pod that handled the charge
    attempted_at   TIMESTAMP NOT NULL
);

CREATE INDEX payments_attempted_at ON payments (attempted_at);
CREATE INDEX invoices_customer ON invoices (customer_id);
