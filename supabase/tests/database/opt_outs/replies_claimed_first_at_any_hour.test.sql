-- claim_next_bubble hands out reply bubbles (confirmations, HELP) before campaign bubbles and at any
-- hour (a reply is not marketing: no window, no cap); the same mark_* functions finish them; a reply
-- bubble is not a scheduled message's, so no follow-up touches a scheduled message.
-- next_bubble_due_at counts queued replies, so a listener does not sleep until the window opens.
begin;
\ir ../_inbound_fixture.psql
select plan(9);

select pg_temp.queue_message('+12095550501', 1) as sm \gset
select pg_temp.reply('+12095550502', 'STOP');
select is((select reply_kind from public.claim_next_bubble('w1')), 'opt_out_confirmation',
  'a reply is claimed before an older campaign bubble');
select is(pg_temp.claim('w1'), pg_temp.bubble(:sm, 1), 'then the campaign bubble');

-- Saturday night: the window is closed.
select tests.pin_clock('2025-11-08 23:30-08');
select pg_temp.reply('+12095550503', 'HELP');
select is(public.next_bubble_due_at(), statement_timestamp(), 'next_bubble_due_at is now: a reply is waiting');
create temp table claimed as select * from public.claim_next_bubble('w2');
select results_eq($$select reply_kind, phone_number, status, worker_id from claimed$$,
  $$values ('help'::text, '+12095550503'::text, 'sending'::text, 'w2'::text)$$, 'the HELP reply is claimed outside the window');
select is((select status from public.mark_bubble_failed((select id from claimed), 'w2', 'network busy', false)), 'queued',
  'a transient failure re-queues it with a retry time');
select tests.pin_clock('2025-11-08 23:30:20-08');
select is((select id from public.claim_next_bubble('w2')), (select id from claimed), 'it is claimed again after the backoff');
select is((select status from public.mark_bubble_sent((select id from claimed), 'w2', '9')), 'sent',
  'and marked sent');
select is(public.next_bubble_due_at(), null, 'nothing else is due by time alone (the window is closed, bubble 1 is sending)');
select is((select status from public.scheduled_messages where id = :sm), 'queued',
  'the reply''s outcome touched no scheduled message');

select * from finish();
rollback;
