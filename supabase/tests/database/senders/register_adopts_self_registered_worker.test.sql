-- A worker with no senders row is its own sender: its first claim registers it (auto_registered, no
-- identity), and its recipients are its. When that worker later registers a SIM nobody registered, the
-- row is adopted: same id, same recipients, now with an identity.
begin;
\ir _fixture.psql
select plan(6);

select pg_temp.queue_message('+12095550301', 1) as sm \gset
select is(pg_temp.claim('old-listener'), pg_temp.bubble(:sm, 1), 'a worker without a senders row claims');
select results_eq($$select auto_registered, imsi, worker_id, status from public.senders$$,
  $$values (true, null::text, 'old-listener'::text, 'active'::text)$$,
  'its first claim registered it as its own sender, without identity');
select is(pg_temp.sim_of('+12095550301'), (select id from public.senders where worker_id = 'old-listener'),
  'the recipient is that sender''s');
select is(pg_temp.sim_of_bubble(pg_temp.bubble(:sm, 1)), pg_temp.sim_of('+12095550301'), 'the bubble names its SIM');

select tests.pin_clock('2025-11-05 14:35-08');
select is(pg_temp.register('old-listener', '310260000000009'), pg_temp.sim_of('+12095550301'),
  'registering an unknown SIM adopts the self-registered row (its recipients stay)');
select results_eq($$select auto_registered, imsi, count(*) over () from public.senders$$,
  $$values (false, '310260000000009'::text, 1::bigint)$$, 'one row, now with its IMSI');

select * from finish();
rollback;
