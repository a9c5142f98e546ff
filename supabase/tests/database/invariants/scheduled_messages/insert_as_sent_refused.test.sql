-- Invariant (c), `sent` means every bubble was sent: only the follow-up of the bubbles sets sent.
-- Attack (issue 10): a person inserts a scheduled message with status 'sent' (or 'failed', or
-- 'cancelled'): a message reported sent that never went out.
begin;
\ir ../_fixture.psql
select plan(4);

select pg_temp.snapshot();
select pg_temp.refused($$
  insert into scheduled_messages (phone_number, customer_name, message_content, scheduled_for, status, sent_at)
  values ('+12095550205', 'Hand Sent', 'hello', '2025-11-05 14:00-08', 'sent', '2025-11-05 14:01-08')$$,
  '55000', null, null, 'inserting a sent scheduled message is refused (55000)');
select pg_temp.refused($$
  insert into scheduled_messages (phone_number, customer_name, message_content, scheduled_for, status)
  values ('+12095550205', 'Hand Failed', 'hello', '2025-11-05 14:00-08', 'failed')$$,
  '55000', null, null, 'inserting a failed scheduled message is refused too (only SCH is inserted)');
select pg_temp.refused($$
  insert into scheduled_messages (phone_number, customer_name, message_content, scheduled_for)
  values ('+12095550205', 'Hand Sent', 'hello', '2025-11-05 14:00-08') returning 1/0$$,
  '22012', null, null, 'control: a plain SCH insert is accepted (it reaches RETURNING)');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

select * from finish();
rollback;
