-- sender_status(): one row per SIM for the operator (what `python -m listener status` prints): number
-- (null = unknown), worker, alive, signal and registration from the heartbeat, sent today, limit left,
-- and why a SIM is idle (null = it can claim): disabled, away, not seen, at a limit, window closed.
begin;
\ir _fixture.psql
select plan(8);

select pg_temp.register('w1', '310260000000001') as sim1 \gset
select pg_temp.register('w2', '310260000000002') as sim2 \gset
select pg_temp.register('w3', '310260000000003') as sim3 \gset
select public.record_listener_heartbeat('w1', '{"signal": 17, "signal_word": "good", "registration": "home", "last_error": "CMS ERROR 500"}', null);
update public.senders set per_day = 1 where id = :sim1;
select pg_temp.queue_message('+12095551101', 1);
select pg_temp.send('w1');
update public.senders set status = 'disabled', status_note = 'blocked' where id = :sim2;

select results_eq(
  format('select sender_id, alive, signal, signal_word, registration, sent_today, messages_left, idle_reason, last_error from public.sender_status() where sender_id = %s', :sim1),
  $$values (1::bigint, true, 17, 'good'::text, 'home'::text, 1, 0, 'daily limit reached (1 of 1); rolls over at midnight'::text, 'CMS ERROR 500'::text)$$,
  'SIM 1: health from its heartbeat, sent today, no message left, why, last error');
select is((select idle_reason from public.sender_status() where sender_id = :sim2), 'disabled by a person: blocked', 'SIM 2: disabled');
select is((select idle_reason from public.sender_status() where sender_id = :sim3), null, 'SIM 3 can claim: no reason');
select is((select recipients from public.sender_status() where sender_id = :sim1), 1, 'SIM 1 has one recipient');

select tests.pin_clock('2025-11-05 14:40-08');
select public.record_listener_heartbeat('w1', '{}', null);
select is((select alive from public.sender_status() where sender_id = :sim1), true, 'a heartbeat keeps SIM 1 alive');
select is((select idle_reason from public.sender_status() where sender_id = :sim3), 'not seen since 2025-11-05 14:30:00',
  'SIM 3: not seen for 10 minutes (local time)');
update public.senders set status = 'away' where id = :sim3;
select is((select idle_reason from public.sender_status() where sender_id = :sim3), 'away since 2025-11-05 14:40', 'SIM 3: away');

select tests.pin_clock('2025-11-05 21:00-08');
select public.record_listener_heartbeat('w1', '{}', null);
update public.senders set per_day = null where id = :sim1;
select matches((select idle_reason from public.sender_status() where sender_id = :sim1), '^send window closed; opens Thu 2025-11-06 09:00$',
  'outside the send window every alive SIM says when it opens');

select * from finish();
rollback;
