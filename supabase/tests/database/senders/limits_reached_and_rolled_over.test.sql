-- Per-SIM limits: a SIM at its hourly limit claims nothing until the calendar hour rolls over (business
-- time zone); at its daily limit of new recipients it still serves its own recipients but takes no new
-- one until midnight; a release gives the claim back. sender_status says why it is idle.
begin;
\ir _fixture.psql
select plan(11);

select pg_temp.register('w1', '310260000000001') as sim \gset
update public.senders set per_hour = 2, new_recipients_per_day = 1 where id = :sim;
select pg_temp.queue_in('+12095550701', 1, 'a') as a1 \gset
select pg_temp.queue_in('+12095550701', 1, 'b') as a2 \gset
select pg_temp.queue_in('+12095550702', 1, 'a') as b1 \gset
select pg_temp.queue_in('+12095550701', 1, 'c') as a3 \gset

select is(pg_temp.send('w1'), pg_temp.bubble(:a1, 1), 'first claim: a new recipient (1 of 1 today)');
select is(pg_temp.claim('w1'), pg_temp.bubble(:a2, 1),
  'second claim: the new-recipient limit skips the other number, its own recipient''s next message comes');
select public.release_bubble(pg_temp.bubble(:a2, 1), 'w1');
select is((select sent_this_hour from public.sender_status() where sender_id = :sim), 1,
  'a release gives the claim back (nothing left the modem)');
select is(pg_temp.send('w1'), pg_temp.bubble(:a2, 1), 'claimed again and sent (2 of 2 this hour)');
select is(pg_temp.claim('w1'), null, 'at its hourly limit it claims nothing');
select matches((select idle_reason from public.sender_status() where sender_id = :sim),
  '^hourly limit reached \(2 of 2\); rolls over at 15:00$', 'sender_status says why and when it rolls over');
select is((select messages_left from public.sender_status() where sender_id = :sim), 0, 'no message left this hour');

select tests.pin_clock('2025-11-05 15:00-08');
select pg_temp.register('w1', '310260000000001');
select is(pg_temp.send('w1'), pg_temp.bubble(:a3, 1), 'at 15:00 the hour rolled over: its own recipient again');
select is(pg_temp.claim('w1'), null, 'but the other number waits: still no new recipient today');

select tests.pin_clock('2025-11-06 09:00-08');
select pg_temp.register('w1', '310260000000001');
select is(pg_temp.send('w1'), pg_temp.bubble(:b1, 1), 'the next day (calendar day, Pacific) it takes the new recipient');
select is((select new_recipients_today from public.sender_status() where sender_id = :sim), 1,
  'counted against the new day');

select * from finish();
rollback;
