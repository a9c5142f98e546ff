-- record_listener_heartbeat upserts one row per worker on the database clock: the latest health and
-- time, the last send kept when not given, the queue depth counted when not given.
begin;
\ir _listener_fixture.psql
select plan(10);

select pg_temp.queue_message('+12095550181', 3);

select results_eq(
  $$select worker_id, modem_health, last_sent_at, queue_depth, started_at, last_seen_at
      from public.record_listener_heartbeat('host:/dev/ttyUSB0', '{"registered": true, "signal": 17}', null)$$,
  $$values ('host:/dev/ttyUSB0'::text, '{"registered": true, "signal": 17}'::jsonb, null::timestamptz, 3,
            pg_temp.pt('2025-11-05 14:30'), pg_temp.pt('2025-11-05 14:30'))$$,
  'the first heartbeat inserts the row at the database clock; a null queue_depth is counted (3 queued bubbles)');
select tests.pin_clock('2025-11-05 14:30:30-08');
select public.record_listener_heartbeat('host:/dev/ttyUSB0', '{"registered": false}', pg_temp.pt('2025-11-05 14:30:20'), 7);
select is((select count(*)::integer from public.listener_status), 1, 'the second heartbeat updates the same row');
select results_eq(
  $$select modem_health, last_sent_at, queue_depth, started_at, last_seen_at from public.listener_status$$,
  $$values ('{"registered": false}'::jsonb, pg_temp.pt('2025-11-05 14:30:20'), 7,
            pg_temp.pt('2025-11-05 14:30'), pg_temp.pt('2025-11-05 14:30:30'))$$,
  'health, last send, the given depth and last_seen_at (the database clock) are replaced; started_at is kept');
select tests.pin_clock('2025-11-05 14:31-08');
select public.record_listener_heartbeat('host:/dev/ttyUSB0', '{}', null);
select is((select last_sent_at from public.listener_status), pg_temp.pt('2025-11-05 14:30:20'),
  'a heartbeat without last_sent_at keeps the last known send');
select tests.pin_clock('2025-11-05 15:00-08');
select public.record_listener_heartbeat('host:/dev/ttyUSB0', '{}', null, started_at => pg_temp.pt('2025-11-05 14:59'));
select results_eq($$select started_at, last_seen_at from public.listener_status$$,
  $$values (pg_temp.pt('2025-11-05 14:59'), pg_temp.pt('2025-11-05 15:00'))$$,
  'a restarted listener passing started_at records its new start');
select public.record_listener_heartbeat('other:/dev/ttyUSB1', '{}', null, 0);
select is((select count(*)::integer from public.listener_status), 2, 'another worker id gets its own row');
select throws_ok($$select public.record_listener_heartbeat('', '{}', null)$$, '22023',
  'record_listener_heartbeat: worker_id must be 1 to 100 characters', 'an empty worker id is refused');
select throws_ok($$select public.record_listener_heartbeat('w', '[1, 2]', null)$$, '22023',
  'listener w: modem_health must be a JSON object, not array', 'modem_health must be an object');
select throws_ok($$select public.record_listener_heartbeat('w', '{}', null, -1)$$, '22023',
  'listener w: queue_depth must not be negative (got -1)', 'a negative queue depth is refused');
select throws_ok($$select public.record_listener_heartbeat('w', '{}', 'infinity')$$, '22023',
  'listener w: last_sent_at and started_at must be real moments', 'an infinite last send is refused');

select * from finish();
rollback;
