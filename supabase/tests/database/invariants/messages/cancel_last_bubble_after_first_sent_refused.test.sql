-- Invariant (d), a queued message always progresses. Attack (issue 10): bubble 1 of 2 sent, then a
-- person cancels bubble 2 by hand: the parent was left `queued` forever (neither sent nor ended).
begin;
\ir ../_fixture.psql
select plan(5);

select pg_temp.queued('+12095550303', 'one [BUBBLE] two') as sm \gset
select pg_temp.send_next('w1') as b1 \gset
select pg_temp.bubble(:sm, 2) as b2 \gset
select pg_temp.snapshot();

select pg_temp.refused(format($$update messages set status = 'cancelled' where id = %s$$, :b2),
  '55000', 'messages', :b2, 'cancelling bubble 2 by hand is refused (55000, naming the row)');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');
select is(pg_temp.sm_status(:sm), 'queued', 'the message is queued');
select is(pg_temp.send_next('w1'), :b2::bigint, 'and progresses: bubble 2 is claimed and sent');
select is(pg_temp.sm_status(:sm), 'sent', 'then it is sent');

select * from finish();
rollback;
