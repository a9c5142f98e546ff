-- A recipient keeps the SIM that first texted them, for every later campaign: in the second campaign each
-- SIM only gets its own recipients, whichever listener asks first; no move is recorded.
begin;
\ir _fixture.psql
select plan(8);

select pg_temp.register('w1', '310260000000001') as sim1 \gset
select pg_temp.register('w2', '310260000000002') as sim2 \gset

select pg_temp.queue_in('+12095550401', 1, 'autumn') as a1 \gset
select pg_temp.queue_in('+12095550402', 1, 'autumn') as a2 \gset
select is(pg_temp.send('w1'), pg_temp.bubble(:a1, 1), 'campaign 1: w1 texts the first recipient');
select is(pg_temp.send('w2'), pg_temp.bubble(:a2, 1), 'campaign 1: w2 texts the second');
select results_eq($$select phone_number, sender_id from public.recipient_senders order by 1$$,
  format('values (%L::text, %s::bigint), (%L, %s)', '+12095550401', :sim1, '+12095550402', :sim2),
  'each recipient is assigned to the SIM that first texted them');

select tests.pin_clock('2025-11-12 10:00-08');  -- a week later, both listeners still beating
select pg_temp.register('w1', '310260000000001');
select pg_temp.register('w2', '310260000000002');
select pg_temp.queue_in('+12095550401', 1, 'winter') as w1msg \gset
select pg_temp.queue_in('+12095550402', 1, 'winter') as w2msg \gset
select is(pg_temp.claim('w2'), pg_temp.bubble(:w2msg, 1),
  'campaign 2: w2 asks first and gets its own recipient''s message, not the older one of w1''s recipient');
select is(pg_temp.claim('w2'), null, 'and nothing else: the other message is w1''s recipient''s');
select is(pg_temp.claim('w1'), pg_temp.bubble(:w1msg, 1), 'w1 gets its recipient''s message');
select is((select count(*) from public.recipient_sender_moves where kind <> 'first'), 0::bigint, 'nobody was moved');
select is((select count(distinct (phone_number, sender_id)) from public.messages where sender_id is not null), 2::bigint,
  'every bubble to a recipient left from one SIM');

select * from finish();
rollback;
