-- release_bubble: a bubble claimed but never handed to the modem (graceful shutdown) goes back to
-- queued, its attempt uncounted, and is claimable again at once.
begin;
\ir _listener_fixture.psql
select plan(6);

select pg_temp.queue_message('+12095550161', 2) as sm \gset
select pg_temp.bubble(:sm, 1) as b1 \gset

select pg_temp.claim('w1');
select throws_ok(format($$select public.release_bubble(%s, 'w2')$$, :b1), '55000',
  format('messages row %s: cannot release: it is claimed by ''w1'', not by ''w2''', :b1),
  'another worker cannot release it');
select results_eq(
  format($$select status, attempts, worker_id, claimed_at from public.release_bubble(%s, 'w1')$$, :b1),
  $$values ('queued'::text, 0, null::text, null::timestamptz)$$,
  'released: queued, attempts back to 0, no worker, no claim time');
select throws_ok(format($$select public.release_bubble(%s, 'w1')$$, :b1), '55000',
  format('messages row %s: cannot release: it is queued, not sending (claimed by nobody)', :b1),
  'a queued bubble cannot be released again');
select tests.pin_clock('2025-11-05 14:30:01-08');
select is(pg_temp.claim('w1'), :b1::bigint, 'it is claimable again at once (by its recipient''s SIM, issue 14)');
select is((select attempts from public.messages where id = :b1), 1, 'and this counts as its first attempt');
select is((select status from public.scheduled_messages where id = :sm), 'queued', 'the scheduled message is unaffected');

select * from finish();
rollback;
