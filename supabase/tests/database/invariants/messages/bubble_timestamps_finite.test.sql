-- Invariant (g) and (d): timestamps are finite (years 2000-2199) on bubbles too. Attack: a person sets a
-- queued bubble's next_attempt_at to 'infinity' (the message never progresses, next_bubble_due_at and
-- the views break) or '-infinity'.
begin;
\ir ../_fixture.psql
select plan(3);

select pg_temp.queued('+12095550315', 'one') as sm \gset
select pg_temp.bubble(:sm, 1) as b1 \gset
select pg_temp.snapshot();

select pg_temp.refused(format($$update messages set next_attempt_at = 'infinity' where id = %s$$, :b1),
  '(23514|55000)', 'messages', :b1, 'next_attempt_at = infinity is refused (naming the row)');
select pg_temp.refused(format($$update messages set next_attempt_at = '-infinity' where id = %s$$, :b1),
  '(23514|55000)', 'messages', :b1, 'next_attempt_at = -infinity is refused');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

select * from finish();
rollback;
