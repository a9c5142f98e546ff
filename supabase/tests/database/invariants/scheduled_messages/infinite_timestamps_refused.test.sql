-- Invariant (g) every accepted value can be shown, and (f) one bad row never blocks the others.
-- Attack (issue 10): one row with scheduled_for = '-infinity' made every promotion call fail, so the
-- due messages of every other campaign stopped; 'infinity' broke the seed's views. Timestamps are
-- finite, years 2000-2199.
begin;
\ir ../_fixture.psql
select plan(9);

select pg_temp.schedule(pg_temp.approved('+12095550210', 'later'), '2025-11-06 10:00-08') as sm \gset
select pg_temp.snapshot();

select pg_temp.refused($$insert into scheduled_messages (phone_number, message_content, scheduled_for)
  values ('+12095550211', 'x', '-infinity')$$, '23514', null, null, 'insert with scheduled_for -infinity is refused (23514)');
select pg_temp.refused($$insert into scheduled_messages (phone_number, message_content, scheduled_for)
  values ('+12095550211', 'x', 'infinity')$$, '23514', null, null, 'insert with scheduled_for infinity is refused');
select pg_temp.refused($$insert into scheduled_messages (phone_number, message_content, scheduled_for)
  values ('+12095550211', 'x', '1999-12-31 12:00Z')$$, '23514', null, null, 'a year before 2000 is refused');
select pg_temp.refused($$insert into scheduled_messages (phone_number, message_content, scheduled_for)
  values ('+12095550211', 'x', '2200-01-02 00:00Z')$$, '23514', null, null, 'a year after 2199 is refused');
select pg_temp.refused($$insert into scheduled_messages (phone_number, message_content, scheduled_for, created_at)
  values ('+12095550211', 'x', '2025-11-06 10:00-08', '-infinity')$$, '23514', null, null, 'insert with created_at -infinity is refused');
select pg_temp.refused(format($$update scheduled_messages set scheduled_for = '-infinity' where id = %s$$, :sm),
  '23514', 'scheduled_messages', :sm, 'rescheduling to -infinity is refused (naming the row)');
select pg_temp.refused(format($$update scheduled_messages set scheduled_for = 'infinity' where id = %s$$, :sm),
  '23514', 'scheduled_messages', :sm, 'rescheduling to infinity is refused');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

-- and promotion still works for everyone
select pg_temp.schedule(pg_temp.approved('+12095550212', 'due now')) as due \gset
select results_eq($$select processed_count, error_message from process_scheduled_messages_safe()$$,
                  $$values (1, null::text)$$, 'the due row of another campaign is promoted, no error');

select * from finish();
rollback;
