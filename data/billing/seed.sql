-- Rows of the billing database. The failed payments at 15:02, 15:09 and 15:17 UTC on 2025-10-18
-- are the minutes the istio-proxy sidecar of pod billing-service-v1-abcdef was OOM-killed
-- (see data/cluster/snapshot.json); 'card_declined' is an unrelated, ordinary failure.

INSERT INTO plans (plan_id, code, name, monthly_price_cents, currency) VALUES
    (1, 'starter', 'Starter', 1900, 'USD'),
    (2, 'team', 'Team', 4900, 'USD'),
    (3, 'business', 'Business', 19900, 'USD'),
    (4, 'enterprise', 'Enterprise', 99900, 'USD');

INSERT INTO customers (customer_id, name, email, country, plan_id, status, created_at) VALUES
    (1, 'Acme Analytics', 'ops@acme.example.com', 'US', 3, 'active', '2023-02-14 09:12:00'),
    (2, 'Blue Fjord AS', 'billing@bluefjord.example.com', 'NO', 2, 'active', '2023-06-01 11:40:00'),
    (3, 'Cedar & Pine Ltd', 'accounts@cedarpine.example.com', 'GB', 2, 'active', '2023-08-19 15:05:00'),
    (4, 'Dune Robotics', 'finance@dunerobotics.example.com', 'US', 4, 'active', '2022-11-03 08:30:00'),
    (5, 'Ember Health', 'ap@emberhealth.example.com', 'DE', 3, 'active', '2024-01-22 10:00:00'),
    (6, 'Fable Games', 'money@fablegames.example.com', 'FR', 1, 'past_due', '2024-04-09 17:25:00'),
    (7, 'Granite Labs', 'billing@granitelabs.example.com', 'US', 2, 'active', '2024-05-30 13:10:00'),
    (8, 'Harbor Logistics', 'ar@harborlogistics.example.com', 'NL', 3, 'active', '2024-07-15 07:45:00'),
    (9, 'Iris Studio', 'hello@irisstudio.example.com', 'ES', 1, 'active', '2024-09-02 12:00:00'),
    (10, 'Juniper Schools', 'it@juniperschools.example.com', 'CA', 2, 'active', '2025-01-13 16:20:00'),
    (11, 'Kestrel Air', 'treasury@kestrelair.example.com', 'AU', 2, 'active', '2025-03-27 22:05:00'),
    (12, 'Lumen Retail', 'payables@lumenretail.example.com', 'US', 3, 'cancelled', '2023-10-10 09:00:00');

INSERT INTO invoices (invoice_id, invoice_number, customer_id, amount_cents, currency, status, issued_at, due_at) VALUES
    (201, 'INV-2025-10-0201', 1, 19900, 'USD', 'paid', '2025-10-18 14:00:00', '2025-11-01 00:00:00'),
    (202, 'INV-2025-10-0202', 4, 99900, 'USD', 'paid', '2025-10-18 14:02:00', '2025-11-01 00:00:00'),
    (203, 'INV-2025-10-0203', 6, 1900, 'USD', 'paid', '2025-10-18 14:10:00', '2025-11-01 00:00:00'),
    (204, 'INV-2025-10-0204', 9, 1900, 'USD', 'paid', '2025-10-18 14:14:00', '2025-11-01 00:00:00'),
    (205, 'INV-2025-10-0205', 10, 4900, 'USD', 'paid', '2025-10-18 14:20:00', '2025-11-01 00:00:00'),
    (206, 'INV-2025-10-0206', 12, 19900, 'USD', 'void', '2025-10-18 14:22:00', '2025-11-01 00:00:00'),
    (207, 'INV-2025-10-0207', 2, 4900, 'USD', 'paid', '2025-10-18 14:27:00', '2025-11-01 00:00:00'),
    (208, 'INV-2025-10-0208', 5, 19900, 'USD', 'paid', '2025-10-18 14:32:00', '2025-11-01 00:00:00'),
    (209, 'INV-2025-10-0209', 8, 19900, 'USD', 'paid', '2025-10-18 14:38:00', '2025-11-01 00:00:00'),
    (210, 'INV-2025-10-0210', 3, 4900, 'USD', 'paid', '2025-10-18 14:43:00', '2025-11-01 00:00:00'),
    (211, 'INV-2025-10-0211', 1, 4900, 'USD', 'paid', '2025-10-18 14:47:00', '2025-11-01 00:00:00'),
    (212, 'INV-2025-10-0212', 7, 4900, 'USD', 'paid', '2025-10-18 14:51:00', '2025-11-01 00:00:00'),
    (213, 'INV-2025-10-0213', 6, 1900, 'USD', 'past_due', '2025-10-18 14:55:00', '2025-10-18 14:55:00'),
    (214, 'INV-2025-10-0214', 7, 4900, 'USD', 'paid', '2025-10-18 15:01:00', '2025-11-01 00:00:00'),
    (215, 'INV-2025-10-0215', 3, 4900, 'USD', 'open', '2025-10-18 15:02:00', '2025-11-01 00:00:00'),
    (216, 'INV-2025-10-0216', 11, 4900, 'USD', 'paid', '2025-10-18 15:02:00', '2025-11-01 00:00:00'),
    (217, 'INV-2025-10-0217', 5, 19900, 'USD', 'paid', '2025-10-18 15:02:00', '2025-11-01 00:00:00'),
    (218, 'INV-2025-10-0218', 10, 4900, 'USD', 'paid', '2025-10-18 15:05:00', '2025-11-01 00:00:00'),
    (219, 'INV-2025-10-0219', 8, 19900, 'USD', 'open', '2025-10-18 15:09:00', '2025-11-01 00:00:00'),
    (220, 'INV-2025-10-0220', 9, 1900, 'USD', 'paid', '2025-10-18 15:10:00', '2025-11-01 00:00:00'),
    (221, 'INV-2025-10-0221', 4, 99900, 'USD', 'open', '2025-10-18 15:14:00', '2025-11-01 00:00:00'),
    (222, 'INV-2025-10-0222', 2, 4900, 'USD', 'open', '2025-10-18 15:16:00', '2025-11-01 00:00:00'),
    (223, 'INV-2025-10-0223', 1, 19900, 'USD', 'paid', '2025-10-18 15:18:00', '2025-11-01 00:00:00');

INSERT INTO payments (payment_id, invoice_id, amount_cents, status, failure_reason, processed_by, attempted_at) VALUES
    (1, 201, 19900, 'succeeded', NULL, 'billing-service-v1-abcdef', '2025-10-18 14:05:12'),
    (2, 202, 99900, 'succeeded', NULL, 'billing-service-v1-abcdef', '2025-10-18 14:07:40'),
    (3, 203, 1900, 'succeeded', NULL, 'billing-service-v1-abcdef', '2025-10-18 14:12:03'),
    (4, 204, 1900, 'succeeded', NULL, 'billing-service-v1-abcdef', '2025-10-18 14:15:31'),
    (5, 205, 4900, 'succeeded', NULL, 'billing-service-v1-abcdef', '2025-10-18 14:21:09'),
    (6, 207, 4900, 'succeeded', NULL, 'billing-service-v1-abcdef', '2025-10-18 14:28:44'),
    (7, 208, 19900, 'succeeded', NULL, 'billing-service-v1-abcdef', '2025-10-18 14:33:17'),
    (8, 209, 19900, 'succeeded', NULL, 'billing-service-v1-abcdef', '2025-10-18 14:39:52'),
    (9, 210, 4900, 'succeeded', NULL, 'billing-service-v1-abcdef', '2025-10-18 14:44:05'),
    (10, 211, 4900, 'succeeded', NULL, 'billing-service-v1-abcdef', '2025-10-18 14:48:30'),
    (11, 212, 4900, 'succeeded', NULL, 'billing-service-v1-abcdef', '2025-10-18 14:52:18'),
    (12, 213, 1900, 'failed', 'card_declined: insufficient_funds', 'billing-service-v1-abcdef', '2025-10-18 14:56:02'),
    (13, 214, 4900, 'succeeded', NULL, 'billing-service-v1-abcdef', '2025-10-18 15:01:57'),
    (14, 215, 4900, 'failed', 'upstream connect error or disconnect/reset before headers. reset reason: connection termination', 'billing-service-v1-abcdef', '2025-10-18 15:02:11'),
    (15, 216, 4900, 'failed', 'upstream connect error or disconnect/reset before headers. reset reason: connection termination', 'billing-service-v1-abcdef', '2025-10-18 15:02:12'),
    (16, 217, 19900, 'succeeded', NULL, 'billing-service-v1-abcdef', '2025-10-18 15:02:40'),
    (17, 216, 4900, 'succeeded', NULL, 'billing-service-v1-abcdef', '2025-10-18 15:03:30'),
    (18, 218, 4900, 'succeeded', NULL, 'billing-service-v1-abcdef', '2025-10-18 15:05:26'),
    (19, 219, 19900, 'failed', 'upstream connect error or disconnect/reset before headers. reset reason: connection termination', 'billing-service-v1-abcdef', '2025-10-18 15:09:37'),
    (20, 220, 1900, 'succeeded', NULL, 'billing-service-v1-abcdef', '2025-10-18 15:11:02'),
    (21, 221, 99900, 'pending', NULL, 'billing-service-v1-abcdef', '2025-10-18 15:14:50'),
    (22, 222, 4900, 'failed', 'upstream connect error or disconnect/reset before headers. reset reason: connection termination', 'billing-service-v1-abcdef', '2025-10-18 15:17:04'),
    (23, 223, 19900, 'succeeded', NULL, 'billing-service-v1-abcdef', '2025-10-18 15:18:30');
