-- Invariants (a) and (d): scheduled_messages.promotions, queued_at and sent_at are kept by promotion and
-- the follow-ups. Attack: a person sets promotions on a queued message (its bubbles belong to another
-- promotion then and are never claimed: stuck; or an old promotion's bubbles look current), or sets
-- sent_at to make a queued message look sent in the dashboard.
begin;
\ir ../_fixture.psql
select plan(5);

select pg_temp.queued('+12095550213', 'one [BUBBLE] two') as sm \gset
select pg_temp.snapshot();

select pg_temp.refused(format($$update scheduled_messages set promotions = 5 where id = %s$$, :sm),
  '55000', 'scheduled_messages', :sm, 'editing promotions is refused (55000, naming the row)');
select pg_temp.refused(format($$update scheduled_messages set sent_at = statement_timestamp() where id = %s$$, :sm),
  '55000', 'scheduled_messages', :sm, 'editing sent_at is refused');
select pg_temp.refused(format($$update scheduled_messages set queued_at = null where id = %s$$, :sm),
  '55000', 'scheduled_messages', :sm, 'editing queued_at is refused');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');
select is(pg_temp.claimable_count(), 1, 'bubble 1 is still claimable');

select * from finish();
rollback;
