-- Invariants (a) and (d): queued -> SCH is no move at all. Attack: a person "reschedules" a queued
-- message by setting it back to SCH; its queued bubbles stay and the next promotion would queue the
-- same bubbles a second time (sent twice). Cancel and insert a new one instead.
begin;
\ir ../_fixture.psql
select plan(4);

select pg_temp.queued('+12095550211', 'one [BUBBLE] two') as sm \gset
select pg_temp.snapshot();

select pg_temp.refused(format($$update scheduled_messages set status = 'SCH' where id = %s$$, :sm),
  '55000', 'scheduled_messages', :sm, 'queued -> SCH is refused (55000, naming the row)');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');
select * from process_scheduled_messages_safe();
select is((select count(*) from messages where scheduled_message_id = :sm), 2::bigint, 'still exactly two bubbles');
select is(pg_temp.claimable_count(), 1, 'one bubble claimable (bubble 1; bubble 2 waits for it)');

select * from finish();
rollback;
