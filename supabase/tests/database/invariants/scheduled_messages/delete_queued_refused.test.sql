-- Invariant (d), a queued message always progresses: a queued scheduled message cannot be deleted
-- (its bubbles would be orphaned or lost, the campaign row left SCH forever). Cancel it instead.
begin;
\ir ../_fixture.psql
select plan(4);

select pg_temp.queued('+12095550209', 'one [BUBBLE] two') as sm \gset
select pg_temp.snapshot();

select pg_temp.refused(format($$delete from scheduled_messages where id = %s$$, :sm),
  '55000', 'scheduled_messages', :sm, 'deleting a queued scheduled message is refused (55000, naming the row)');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

-- the way that works: cancel it
update scheduled_messages set status = 'cancelled' where id = :sm;
select is(pg_temp.sm_status(:sm), 'cancelled', 'cancelling it is accepted');
select is(pg_temp.claimable_count(), 0, 'and then none of its bubbles can be claimed');

select * from finish();
rollback;
