-- next_bubble_due_at(worker_id): per SIM. A listener asks when *its* SIM could claim something, so an
-- idle SIM does not hear "now" while only other SIMs have due work (it would poll with empty claims).
-- Counted: its recipients' bubbles; new recipients' only when it may take them (room, no other alive SIM
-- with more); at a message limit only replies, else the next period's start; another SIM's (unpinned)
-- recipients from the moment that SIM would be handed over; its own pacing (per campaign and SIM), not
-- another SIM's; nothing for a SIM away or disabled. Without
-- an argument, or for a worker with no SIM yet: every SIM's bubbles, as before.
begin;
\ir _fixture.psql
select plan(29);

select pg_temp.register('w1', '310260000000001') as sim1 \gset
select pg_temp.register('w2', '310260000000002') as sim2 \gset

select is(public.next_bubble_due_at('w2'), null, 'nothing queued: null for a SIM as well');

-- A new recipient (no SIM yet): any SIM with room may take them.
select pg_temp.queue_in('+12095550901', 1, 'a') as a1 \gset
select is(public.next_bubble_due_at('w1'), pg_temp.pt('2025-11-05 14:30'),
  'an unrouted new recipient: now for a SIM with room (w1)');
select is(public.next_bubble_due_at('w2'), pg_temp.pt('2025-11-05 14:30'), 'and now for w2 (no limits either)');
update public.senders set new_recipients_per_day = 0 where id = :sim2;
select is(public.next_bubble_due_at('w2'), null,
  'not for a SIM with no room for new recipients (new_recipients_per_day 0: never)');
update public.senders set new_recipients_per_day = 5 where id = :sim2;
select is(public.next_bubble_due_at('w2'), null,
  'nor for one with less room than another alive SIM (unlimited w1 gets the recipient)');
select is(pg_temp.claim('w2'), null, 'the claim agrees');

-- A stranger texts w2 first: w2's recipient, one new recipient this month. At a monthly limit of 1 (and
-- w1 with no room at all) w2 may take the next new recipient when the month rolls over.
select isnt((select r.inbound_message_id
               from public.record_inbound_part('w2', '+12095550903', statement_timestamp(), 'see you then', null, null,
                                               null, 'next-due-per-sim-903') r), null, 'a stranger texts w2 first');
update public.senders set new_recipients_per_day = null, new_recipients_per_month = 1 where id = :sim2;
update public.senders set new_recipients_per_day = 0 where id = :sim1;
select is(public.next_bubble_due_at('w2'), pg_temp.pt('2025-12-01 09:00'),
  'at its monthly new-recipient limit: the month''s rollover (Monday 1 December; the window opens at 09:00)');
update public.senders set new_recipients_per_month = null where id = :sim2;
update public.senders set new_recipients_per_day = null where id = :sim1;

select is(pg_temp.send('w1'), pg_temp.bubble(:a1, 1), 'w1 takes the new recipient');
-- Their next message is routed to w1.
select pg_temp.queue_in('+12095550901', 1, 'b') as a2 \gset
select is(public.next_bubble_due_at(), pg_temp.pt('2025-11-05 14:30'),
  'no argument: the global answer, now (w1 has due work)');
select is(public.next_bubble_due_at('w1'), pg_temp.pt('2025-11-05 14:30'), 'w1: now (its recipient''s message)');
select is(public.next_bubble_due_at('w2'), pg_temp.pt('2025-11-05 15:00'),
  'idle w2 whose peer has due routed work: not now, but when w1 would be handed over (seen 14:30 + 30 minutes)');
select is(pg_temp.claim('w2'), null, 'the claim agrees: nothing for w2 now');
select is(public.next_bubble_due_at('w-unregistered'), pg_temp.pt('2025-11-05 14:30'),
  'a worker with no senders row yet: the global answer');

-- w1 at its hourly limit (it claimed once this hour).
update public.senders set per_hour = 1 where id = :sim1;
select is(public.next_bubble_due_at('w1'), pg_temp.pt('2025-11-05 15:00'),
  'w1 at its hourly limit (1 of 1): the start of the next hour, when the limit rolls over');
select is(pg_temp.claim('w1'), null, 'the claim agrees: nothing now');
select isnt((select r.inbound_message_id
               from public.record_inbound_part('w1', '+12095550901', statement_timestamp(), 'HELP', null, null, null,
                                               'next-due-per-sim-901') r), null, 'w1''s recipient asks for HELP');
select is(public.next_bubble_due_at('w1'), pg_temp.pt('2025-11-05 14:30'), 'at its limit, a reply bubble: now');
select pg_temp.send('w1') as r1 \gset
select is((select reply_kind from public.messages where id = :'r1'::bigint), 'help', 'the claim hands out the reply');
update public.senders set per_hour = null where id = :sim1;

-- A recipient pinned to w1, with a message waiting. Then w1 falls silent; w2 keeps beating.
select pg_temp.queue_in('+12095550902', 1, 'a') as p1 \gset
select public.pin_recipient('+12095550902', :sim1, 'keep on SIM 1');
select tests.pin_clock('2025-11-05 14:50-08');
select pg_temp.register('w2', '310260000000002');
select is(public.next_bubble_due_at('w2'), pg_temp.pt('2025-11-05 15:00'),
  'w1 not seen for 20 minutes: the moment handover_after elapses');
select tests.pin_clock('2025-11-05 15:01-08');
select pg_temp.register('w2', '310260000000002');
select is(public.next_bubble_due_at('w2'), pg_temp.pt('2025-11-05 15:01'), 'after it: now');
select is(pg_temp.claim('w2'), pg_temp.bubble(:a2, 1), 'the claim agrees: w2 takes over w1''s recipient');
select is(public.next_bubble_due_at('w2'), null, 'the recipient pinned to the away w1 never counts for w2');
select is(public.next_bubble_due_at(), pg_temp.pt('2025-11-05 15:01'), 'the global answer still counts them: now');

update public.senders set status = 'away' where id = :sim1;
select is(public.next_bubble_due_at('w1'), null, 'w1 marked away: null (nothing by time alone)');

-- Pacing is per campaign and SIM: a SIM waits for its own catch-up gap, not for another SIM's.
update public.senders set status = 'active' where id = :sim1;
select pg_temp.register('w1', '310260000000001');
select is(pg_temp.send('w1'), pg_temp.bubble(:p1, 1), 'w1 is back: it sends its pinned recipient''s message');
select pg_temp.queue_in('+12095550911', 1, 'summer') as s1 \gset
select pg_temp.queue_in('+12095550912', 1, 'summer') as s2 \gset
update public.send_window set catch_up_gap = '4 minutes';  -- after the promotion (which paces too)
select is(pg_temp.claim('w2'), pg_temp.bubble(:s1, 1), 'w2 takes a new recipient of campaign summer');
select is(public.next_bubble_due_at('w2'), pg_temp.pt('2025-11-05 15:05'),
  'w2: the next recipient of the campaign after its catch-up gap');
select is(public.next_bubble_due_at('w1'), pg_temp.pt('2025-11-05 15:01'), 'w1 is not held back by w2''s pacing: now');

select * from finish();
rollback;
