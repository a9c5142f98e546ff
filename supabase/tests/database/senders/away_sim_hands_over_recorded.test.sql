-- A SIM away longer than sender_settings.handover_after hands its waiting recipients to another SIM:
-- before that they wait (nothing goes to a second SIM); after it the next alive SIM with room takes
-- them, and the move is recorded with the reason. A disabled SIM hands over at once; a pinned recipient
-- is never moved automatically.
begin;
\ir _fixture.psql
select plan(10);

select pg_temp.register('w1', '310260000000001') as sim1 \gset
select pg_temp.register('w2', '310260000000002') as sim2 \gset
select pg_temp.queue_in('+12095550801', 1, 'a') as r1 \gset
select pg_temp.queue_in('+12095550802', 1, 'a') as r2 \gset
select pg_temp.send('w1'), pg_temp.send('w1');
select public.pin_recipient('+12095550802', :sim1, 'VIP: keep on SIM 1');

-- w1 disappears (no heartbeat). Campaign b for both of its recipients.
select tests.pin_clock('2025-11-05 14:50-08');
select pg_temp.register('w2', '310260000000002');
select pg_temp.queue_in('+12095550801', 1, 'b') as r1b \gset
select pg_temp.queue_in('+12095550802', 1, 'b') as r2b \gset
select is(pg_temp.claim('w2'), null, '20 minutes away (handover_after 30): its recipients wait');

select tests.pin_clock('2025-11-05 15:01-08');
select pg_temp.register('w2', '310260000000002');
select is(pg_temp.claim('w2'), pg_temp.bubble(:r1b, 1), '31 minutes away: w2 takes over the first recipient''s message');
select is(pg_temp.sim_of('+12095550801'), :sim2::bigint, 'the recipient is now w2''s');
select results_eq(
  $$select from_sender_id, to_sender_id, kind, moved_by from public.recipient_sender_moves where kind = 'handover'$$,
  format('values (%s::bigint, %s::bigint, %L::text, %L::text)', :sim1, :sim2, 'handover', 'worker w2'),
  'the move is recorded: from, to, kind, who');
select matches((select reason from public.dashboard_recipient_moves where kind = 'handover'),
  format('^sender %s away since 2025-11-05 22:30:00 UTC \(longer than sender_settings.handover_after\)$', :sim1),
  'with the reason, in the dashboard view of moves');
select is(pg_temp.claim('w2'), null, 'the pinned recipient is not moved: it waits for its SIM');

update public.senders set status = 'disabled', status_note = 'SIM blocked by the carrier' where id = :sim1;
select is(pg_temp.claim('w2'), null, 'disabled by a person: the pin still holds (a person decides)');
select public.pin_recipient('+12095550802', :sim2, 'SIM 1 blocked');
select is(pg_temp.claim('w2'), pg_temp.bubble(:r2b, 1), 'pinned to w2 by a person: w2 sends');

select public.mark_bubble_sent(pg_temp.bubble(:r1b, 1), 'w2', 'mr');
select public.mark_bubble_sent(pg_temp.bubble(:r2b, 1), 'w2', 'mr');
select pg_temp.register('w3', '310260000000003') as sim3 \gset
select tests.pin_clock('2025-11-05 15:02-08');
update public.senders set status = 'disabled' where id = :sim2;
select pg_temp.queue_in('+12095550801', 1, 'c') as r1c \gset
select is(pg_temp.claim('w3'), pg_temp.bubble(:r1c, 1), 'a SIM disabled by a person hands over at once (not pinned)');
select matches((select reason from public.recipient_sender_moves order by id desc limit 1),
  format('^sender %s disabled by a person$', :sim2), 'recorded as such');

select * from finish();
rollback;
