-- Pacing at the modem is per SIM (issue 13's catch_up_gap, issue 14's bank): after an outage a SIM hands
-- out the next recipient of a campaign only catch_up_gap after its previous one, but another SIM is not
-- held back by it (each number's sending must look human; the bank must not send as slowly as one SIM).
-- With pacing off nothing is remembered.
begin;
\ir _fixture.psql
select plan(7);

select pg_temp.register('w1', '310260000000001') as sim1 \gset
select pg_temp.register('w2', '310260000000002') as sim2 \gset
select pg_temp.queue_in('+12095550301', 1, 'spring') as r1 \gset
select pg_temp.queue_in('+12095550302', 1, 'spring') as r2 \gset
select pg_temp.queue_in('+12095550303', 1, 'spring') as r3 \gset
select pg_temp.queue_in('+12095550304', 1, 'spring') as r4 \gset

select pg_temp.send('w1');
select is((select count(*) from internal.campaign_claims)::integer, 0, 'pacing off (catch_up_gap 0): nothing remembered');

update public.send_window set catch_up_gap = '4 minutes';
select is(pg_temp.send('w1'), pg_temp.bubble(:r2, 1), 'pacing on: SIM 1 takes the next recipient');
select is(pg_temp.claim('w1'), null, 'and then waits for its catch-up gap');
select is(pg_temp.send('w2'), pg_temp.bubble(:r3, 1), 'SIM 2 is not held back by SIM 1''s pacing');
select is(pg_temp.claim('w2'), null, 'SIM 2 now waits for its own gap');
select results_eq(
  $$select sender_id, scheduled_message_id from internal.campaign_claims where campaign_key = 'spring' order by sender_id$$,
  format('values (%s::bigint, %s::bigint), (%s::bigint, %s::bigint)', :sim1, :r2, :sim2, :r3),
  'one pacing row per campaign and SIM');

select tests.pin_clock('2025-11-05 14:34-08');
select is(pg_temp.send('w2'), pg_temp.bubble(:r4, 1), 'after the gap SIM 2 takes the last recipient');

select * from finish();
rollback;
