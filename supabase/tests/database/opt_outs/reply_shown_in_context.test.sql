-- A reply links to the latest scheduled message sent to that number before it arrived, so a person
-- reads it in context (dashboard_replies); a number never texted has no context; deleting the
-- scheduled message later keeps the reply (the link becomes null).
begin;
\ir ../_inbound_fixture.psql
select plan(6);

select pg_temp.queue_message('+12095550521', 1) as old_sm \gset
select public.mark_bubble_sent(pg_temp.claim('w1'), 'w1', '1');
select tests.pin_clock('2025-11-05 15:00-08');
select pg_temp.queue_message('+12095550521', 1) as new_sm \gset
select public.mark_bubble_sent(pg_temp.claim('w1'), 'w1', '2');
select tests.pin_clock('2025-11-05 15:05-08');
select pg_temp.reply('+12095550521', 'Sounds good, see you!') as reply \gset

select is((select scheduled_message_id from public.inbound_messages where id = :reply), :new_sm::bigint,
  'the reply links to the latest scheduled message sent to the number');
select results_eq(
  format('select phone_number, body, action, in_reply_to, in_reply_to_sent_at from public.dashboard_replies where id = %s', :reply),
  $$values ('+12095550521'::text, 'Sounds good, see you!'::text, 'none'::text, 'bubble 1'::text, pg_temp.pt('2025-11-05 15:00'))$$,
  'dashboard_replies shows it with the text it answers and when that was sent');
select pg_temp.reply('+12095550599', 'who is this?') as stranger \gset
select is((select scheduled_message_id from public.inbound_messages where id = :stranger), null,
  'a number never texted has no context');
select pg_temp.reply('+12095550521', 'STOP') as stop \gset
select is((select reply_status from public.dashboard_replies where id = :stop), 'queued',
  'the view shows the reply bubble a STOP caused');

delete from public.scheduled_messages where id = :new_sm;  -- a person tidies up a sent text
select is((select scheduled_message_id from public.inbound_messages where id = :reply), null,
  'deleting the scheduled message it answers keeps the reply, without the link');
select is((select body from public.inbound_messages where id = :reply), 'Sounds good, see you!', 'and as it was');

select * from finish();
rollback;
