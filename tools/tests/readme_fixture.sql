-- The reader's database for the SQL examples of README.md (test_readme.py): the tables,
-- schemas, role and servers the examples name, and nothing of the examples themselves.
-- :sock and :port are the checker's cluster.
CREATE EXTENSION dblink;
CREATE EXTENSION pg_cron;

CREATE TABLE sales_2024 (id int PRIMARY KEY, amount numeric);
CREATE TABLE sales_2025 (id int PRIMARY KEY, amount numeric);
INSERT INTO sales_2024 SELECT g, g % 100 FROM generate_series(1, 5000) AS g;
INSERT INTO sales_2025 SELECT g, g % 70 FROM generate_series(1, 3000) AS g;

CREATE TABLE big (id int PRIMARY KEY, v int NOT NULL DEFAULT 0);
INSERT INTO big (id) SELECT generate_series(1, 10000);
ANALYZE big;

CREATE TABLE events (id bigint PRIMARY KEY, kind int NOT NULL);
INSERT INTO events SELECT g, g % 7 FROM generate_series(1, 20000) AS g;

CREATE SCHEMA sales;
CREATE TABLE sales.orders (id int PRIMARY KEY, customer int, placed date);
CREATE INDEX ON sales.orders (customer);
CREATE INDEX ON sales.orders (placed);
CREATE TABLE sales.customers (id int PRIMARY KEY, name text UNIQUE);
INSERT INTO sales.orders SELECT g, g % 50, date '2026-01-01' + g % 300 FROM generate_series(1, 2000) AS g;
INSERT INTO sales.customers SELECT g, 'c' || g FROM generate_series(1, 50) AS g;

CREATE TABLE staging (id int PRIMARY KEY, payload text);
CREATE TABLE audit (LIKE staging);
CREATE TABLE todo (id int PRIMARY KEY);
INSERT INTO staging SELECT g, md5(g::text) FROM generate_series(1, 300) AS g;
INSERT INTO todo SELECT generate_series(1, 300);

CREATE TABLE ledger (id int PRIMARY KEY, amount numeric NOT NULL);
INSERT INTO ledger SELECT g, g % 13 FROM generate_series(1, 4000) AS g;

-- a partitioned table of this database (pdb_query's per-partition example)
CREATE TABLE measurements (day date NOT NULL, amount numeric) PARTITION BY RANGE (day);
CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE measurements_2026 PARTITION OF measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO measurements SELECT date '2025-01-01' + g % 700, g FROM generate_series(1, 7000) AS g;

-- a role without superuser, whose logins on 127.0.0.1 ask for its password
CREATE ROLE app_worker LOGIN PASSWORD 'secret';

-- two shards: databases of this cluster behind dblink_fdw servers, each with some partitions of orders
CREATE DATABASE shard1;
CREATE DATABASE shard2;
\connect shard1
CREATE TABLE orders (id int, created timestamptz NOT NULL, amount numeric) PARTITION BY RANGE (created);
CREATE TABLE orders_2020 PARTITION OF orders FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE orders_2022 PARTITION OF orders FOR VALUES FROM ('2022-01-01') TO ('2023-01-01');
INSERT INTO orders SELECT g, timestamptz '2020-01-01' + (g % 600) * interval '1 day', g FROM generate_series(1, 600) AS g
 WHERE extract(year FROM timestamptz '2020-01-01' + (g % 600) * interval '1 day') IN (2020, 2022);
\connect shard2
CREATE TABLE orders (id int, created timestamptz NOT NULL, amount numeric) PARTITION BY RANGE (created);
CREATE TABLE orders_2021 PARTITION OF orders FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
CREATE TABLE orders_2023 PARTITION OF orders FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
INSERT INTO orders SELECT g, timestamptz '2021-01-01' + (g % 700) * interval '1 day', g FROM generate_series(1, 700) AS g
 WHERE extract(year FROM timestamptz '2021-01-01' + (g % 700) * interval '1 day') IN (2021, 2023);
\connect app
CREATE SERVER shard1 FOREIGN DATA WRAPPER dblink_fdw OPTIONS (host :'sock', port :'port', dbname 'shard1');
CREATE SERVER shard2 FOREIGN DATA WRAPPER dblink_fdw OPTIONS (host :'sock', port :'port', dbname 'shard2');
CREATE USER MAPPING FOR CURRENT_USER SERVER shard1 OPTIONS (user 'postgres');
CREATE USER MAPPING FOR CURRENT_USER SERVER shard2 OPTIONS (user 'postgres');
CREATE TABLE placement (part text PRIMARY KEY, shard text NOT NULL);
INSERT INTO placement VALUES ('orders_2020', 'shard1'), ('orders_2022', 'shard1'),
                             ('orders_2021', 'shard2'), ('orders_2023', 'shard2');
