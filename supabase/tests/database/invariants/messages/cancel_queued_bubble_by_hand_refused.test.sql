-- Invariant (d): a bubble is cancelled only as the follow-up of its scheduled message ending, never by
-- hand (a person cancels the scheduled message). Attack: `update messages set status = 'cancelled'`
-- on bubble 1 of a queued message: bubble 2 could then never be claimed (it waits for bubble 1) and
-- the message stayed queued forever.
begin;
\ir ../_fixture.psql
select plan(3);

select pg_temp.queued('+12095550302', 'one [BUBBLE] two') as sm \gset
select pg_temp.bubble(:sm, 1) as b1 \gset
select pg_temp.snapshot();

select pg_temp.refused(format($$update messages set status = 'cancelled' where id = %s$$, :b1),
  '55000', 'messages', :b1, 'cancelling a queued bubble by hand is refused (55000, naming the row)');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');
select is(pg_temp.claimable_count(), 1, 'bubble 1 is still claimable: the message progresses');

select * from finish();
rollback;
