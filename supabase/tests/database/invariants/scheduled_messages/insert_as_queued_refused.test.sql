-- Invariant (d), a queued message always progresses: only promotion sets `queued`, in the statement that
-- creates its bubbles. Attack (issue 10): a person inserts a row with status 'queued' (a copy of a row
-- from another project, say): it had no bubbles and stayed queued forever.
begin;
\ir ../_fixture.psql
select plan(3);

select pg_temp.snapshot();
select pg_temp.refused($$
  insert into scheduled_messages (phone_number, customer_name, message_content, scheduled_for, status, queued_at)
  values ('+12095550204', 'Hand Queued', 'hello', '2025-11-05 14:00-08', 'queued', '2025-11-05 14:00-08')$$,
  '55000', null, null, 'inserting a queued scheduled message is refused (55000)');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');
select is((select count(*) from scheduled_messages where status = 'queued'
             and not exists (select 1 from messages m where m.scheduled_message_id = scheduled_messages.id)),
          0::bigint, 'no queued scheduled message without bubbles exists');

select * from finish();
rollback;
