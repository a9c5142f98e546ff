-- Invariants (a) and (d): worker_id and claimed_at of a sending bubble are the claim's. Attack: a person
-- hands a sending bubble to another worker (w2 could then mark it, while w1 is the one at the modem), or
-- moves claimed_at to 2199 (recover_stale_claims would never see it: the message stuck forever).
begin;
\ir ../_fixture.psql
select plan(5);

select pg_temp.queued('+12095550316', 'one') as sm \gset
select pg_temp.claim('w1') as b1 \gset
select pg_temp.snapshot();

select pg_temp.refused(format($$update messages set worker_id = 'w2' where id = %s$$, :b1),
  '55000', 'messages', :b1, 'giving a sending bubble to another worker is refused (55000, naming the row)');
select pg_temp.refused(format($$update messages set claimed_at = '2199-01-01 00:00Z' where id = %s$$, :b1),
  '55000', 'messages', :b1, 'moving claimed_at is refused');
select pg_temp.refused(format($$update messages set attempts = 0 where id = %s$$, :b1),
  '55000', 'messages', :b1, 'resetting attempts is refused');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');
select throws_ok(format($$select mark_bubble_sent(%s, 'w2', 'mr')$$, :b1), '55000', null,
  'w2 still cannot mark w1''s bubble');

select * from finish();
rollback;
