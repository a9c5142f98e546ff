-- A listener that keeps running after its modem was unplugged (or its SIM taken out) heartbeats with
-- "available": false. Those heartbeats keep the listener's own row fresh but not its SIM: the SIM goes
-- not alive after alive_after, sender_status says why, and after handover_after its waiting recipients
-- move to another SIM (recorded), exactly as if the box had been switched off. A heartbeat with the
-- modem back keeps the SIM alive again.
begin;
\ir _fixture.psql
select plan(8);

select pg_temp.register('w1', '310260000000001') as sim1 \gset
select pg_temp.register('w2', '310260000000002') as sim2 \gset
select pg_temp.queue_in('+12095550901', 1, 'a') as r1 \gset
select is(pg_temp.sim_of_bubble(pg_temp.send('w1')), :sim1::bigint, 'w1 texts the recipient first: theirs is SIM 1');

-- The modem goes away at 14:30; w1 keeps heartbeating without it.
select tests.pin_clock('2025-11-05 14:35-08');
select public.record_listener_heartbeat('w1', '{"available": false, "connected": false, "last_error": "modem closed the port"}', null);
select public.record_listener_heartbeat('w2', '{"available": true}', null);
select is((select last_seen_at from public.listener_status where worker_id = 'w1'), '2025-11-05 14:35-08'::timestamptz,
  'the listener itself is seen');
select is((select alive from public.sender_status() where sender_id = :sim1), false,
  'its SIM is not alive: heartbeats without the modem do not count');
select is((select idle_reason from public.sender_status() where sender_id = :sim1),
  'its listener w1 runs without its modem since 2025-11-05 14:30:00: modem closed the port',
  'sender_status says why, with the last error');

select pg_temp.queue_in('+12095550901', 1, 'b') as r1b \gset
select tests.pin_clock('2025-11-05 14:55-08');
select public.record_listener_heartbeat('w1', '{"available": false}', null);
select public.record_listener_heartbeat('w2', '{"available": true}', null);
select is(pg_temp.claim('w2'), null, '25 minutes without the modem (handover_after 30): the recipient waits for SIM 1');

select tests.pin_clock('2025-11-05 15:01-08');
select public.record_listener_heartbeat('w1', '{"available": false}', null);
select public.record_listener_heartbeat('w2', '{"available": true}', null);
select is(pg_temp.claim('w2'), pg_temp.bubble(:r1b, 1), '31 minutes: SIM 2 takes the recipient over');
select results_eq(
  $$select phone_number, from_sender_id, to_sender_id, kind from public.recipient_sender_moves where kind = 'handover'$$,
  format('values (%L::text, %s::bigint, %s::bigint, %L::text)', '+12095550901', :sim1, :sim2, 'handover'),
  'the move is recorded');

-- The modem is back: the next heartbeat keeps SIM 1 alive again.
select public.record_listener_heartbeat('w1', '{"available": true, "connected": true}', null);
select is((select alive from public.sender_status() where sender_id = :sim1), true, 'modem back: SIM 1 alive again');

select * from finish();
rollback;
