-- Invariant (a): a bubble that may have left a modem is never sent again; unknown never returns to
-- queued (a person who wants it resent retries the whole message after deciding: unknown -> failed).
begin;
\ir ../_fixture.psql
select plan(4);

select pg_temp.queued('+12095550308', 'one [BUBBLE] two') as sm \gset
select pg_temp.claim('w1') as b1 \gset
select mark_bubble_unknown(:b1, 'w1', 'no +CMGS answer');
select pg_temp.snapshot();

select pg_temp.refused(format($$update messages set status = 'queued' where id = %s$$, :b1),
  '55000', 'messages', :b1, 'unknown -> queued by a person is refused (55000, naming the row)');
select pg_temp.refused(format($$update messages set status = 'queued', worker_id = null, claimed_at = null, next_attempt_at = null where id = %s$$, :b1),
  '55000', 'messages', :b1, 'also when the claim columns are cleared too');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');
select is(pg_temp.claimable_count(), 0, 'nothing of the message is claimable');

select * from finish();
rollback;
