-- Invariant (d) and (h): SCH -> queued is promotion's move only, made together with the bubbles.
-- Attack (issue 10): `update scheduled_messages set status = 'queued'` by hand left a row with no
-- bubbles, queued forever.
begin;
\ir ../_fixture.psql
select plan(4);

select pg_temp.schedule(pg_temp.approved('+12095550206', 'hello'), '2025-11-05 15:00-08') as sm \gset
select pg_temp.snapshot();

select pg_temp.refused(format($$update scheduled_messages set status = 'queued' where id = %s$$, :sm),
  '55000', 'scheduled_messages', :sm, 'SCH -> queued by a person is refused (55000, naming the row)');
select pg_temp.refused(format($$update scheduled_messages set status = 'queued', queued_at = statement_timestamp() where id = %s$$, :sm),
  '55000', 'scheduled_messages', :sm, 'also with queued_at filled in');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');
select is(pg_temp.sm_status(:sm), 'SCH', 'the row is still SCH');

select * from finish();
rollback;
