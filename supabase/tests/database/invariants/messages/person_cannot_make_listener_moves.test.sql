-- Invariant (h), one writer per move: queued -> sending is the claim's, sending -> sent/failed the
-- listener's, sending -> queued the requeue's, sending -> unknown the unknown writer's. A person's plain
-- UPDATE making any of them is refused, so nobody bypasses ownership (worker_id) or the window.
begin;
\ir ../_fixture.psql
select plan(7);

select pg_temp.queued('+12095550312', 'one') as sm \gset
select pg_temp.queued('+12095550313', 'two') as sm2 \gset
select pg_temp.bubble(:sm, 1) as q \gset
select pg_temp.bubble(:sm2, 1) as s \gset
-- s is claimed the normal way (it is not first in id order, so claim q and release it)
select pg_temp.claim('w1') as first \gset
select pg_temp.claim('w1') as second \gset
select release_bubble(:first, 'w1');
select pg_temp.snapshot();

select pg_temp.refused(format($$update messages set status = 'sending', worker_id = 'me', claimed_at = statement_timestamp() where id = %s$$, :q),
  '55000', 'messages', :q, 'queued -> sending by hand is refused');
select pg_temp.refused(format($$update messages set status = 'sent', sent_at = statement_timestamp() where id = %s$$, :q),
  '55000', 'messages', :q, 'queued -> sent by hand is refused');
select pg_temp.refused(format($$update messages set status = 'sent' where id = %s$$, :second),
  '55000', 'messages', :second, 'sending -> sent by hand is refused');
select pg_temp.refused(format($$update messages set status = 'failed' where id = %s$$, :second),
  '55000', 'messages', :second, 'sending -> failed by hand is refused');
select pg_temp.refused(format($$update messages set status = 'queued' where id = %s$$, :second),
  '55000', 'messages', :second, 'sending -> queued by hand is refused');
select pg_temp.refused(format($$update messages set status = 'unknown' where id = %s$$, :second),
  '55000', 'messages', :second, 'sending -> unknown by hand is refused');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

select * from finish();
rollback;
