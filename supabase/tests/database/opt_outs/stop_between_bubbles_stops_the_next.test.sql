-- A STOP stored between bubble 1 and bubble 2 (the listener stores announced SMS before its next claim)
-- stops bubble 2: it is cancelled at once, the claim hands out the confirmation instead, and the
-- scheduled message says how much went out. A bubble already `sending` is left to its outcome.
begin;
\ir ../_inbound_fixture.psql
select plan(8);

select pg_temp.queue_message('+12095550341', 3) as sm \gset
select is(pg_temp.claim('w1'), pg_temp.bubble(:sm, 1), 'bubble 1 is claimed');
select public.mark_bubble_sent(pg_temp.bubble(:sm, 1), 'w1', '7');
select is(pg_temp.claim('w1'), pg_temp.bubble(:sm, 2), 'bubble 2 is claimed');

select pg_temp.reply('+12095550341', 'STOP') as stop \gset
select is((select status from public.messages where id = pg_temp.bubble(:sm, 3)), 'cancelled',
  'the STOP cancels the queued bubble 3 at once');
select is((select status from public.messages where id = pg_temp.bubble(:sm, 2)), 'sending',
  'bubble 2, already with the modem, is left to its outcome');
select public.mark_bubble_sent(pg_temp.bubble(:sm, 2), 'w1', '8');
select is((select status from public.scheduled_messages where id = :sm), 'cancelled', 'the message is cancelled');
select matches((select error_message from public.scheduled_messages where id = :sm),
  '^partially sent: 2 of 3 bubbles went out; not sent: \+12095550341 opted out', 'and says how much went out and why');
select is((select reply_kind from public.claim_next_bubble('w1')), 'opt_out_confirmation',
  'the next claim is the confirmation');
select is(pg_temp.claim('w1'), null, 'and nothing else');

select * from finish();
rollback;
