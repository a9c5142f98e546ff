-- Invariant (a): sent, failed and cancelled bubbles are final; they never return to queued (a retry
-- creates new rows). Attack: a person resets a bubble to queued to "send it again".
begin;
\ir ../_fixture.psql
select plan(5);

select pg_temp.queued('+12095550311', 'one [BUBBLE] two [BUBBLE] three') as sm \gset
select pg_temp.send_next('w1') as b1 \gset
select pg_temp.claim('w1') as b2 \gset
select mark_bubble_failed(:b2, 'w1', '+CMS ERROR: 21', true);
select pg_temp.bubble(:sm, 3) as b3 \gset
select pg_temp.snapshot();

select pg_temp.refused(format($$update messages set status = 'queued' where id = %s$$, :b1),
  '55000', 'messages', :b1, 'sent -> queued is refused');
select pg_temp.refused(format($$update messages set status = 'queued' where id = %s$$, :b2),
  '55000', 'messages', :b2, 'failed -> queued is refused');
select pg_temp.refused(format($$update messages set status = 'queued' where id = %s$$, :b3),
  '55000', 'messages', :b3, 'cancelled -> queued is refused');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');
select is(pg_temp.claimable_count(), 0, 'nothing is claimable');

select * from finish();
rollback;
