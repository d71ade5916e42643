-- The trigger that summarises a statement's updated stat rows pairs each new version with its old
-- one by key. PL/pgSQL plans that query once per session and keeps the plan; planned for the first
-- statement of a session, a transition table of a row or two, it is a nested loop that compares
-- every new row with every old one, and a batch of 1,549 corrections then spent 970 ms and 2.4
-- million comparisons in it (the sink's largest cost at 5,000 corrections a second). Without nested
-- loops the pairing is a hash join, linear in the batch whatever the size the plan was made for.
ALTER FUNCTION ml_monitoring.metric_series_updated() SET enable_nestloop = off;
