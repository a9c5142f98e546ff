-- Invariant (f), one bad row never blocks the others: should one row still fail at promotion, only
-- that row is marked failed (with the reason), the good rows of the same call are promoted. Attack
-- (issue 10): one bad row made every promotion call fail, so every campaign's due messages stopped.
-- Every value a person can store is promotable (invariant g), so the failure is injected: a trigger of
-- this test raises for one recipient while promotion inserts its bubbles.
begin;
\ir ../_fixture.psql
select plan(6);

create function tests.inv_boom() returns trigger language plpgsql as $$
begin
  raise exception 'injected failure for %', new.phone_number;
end $$;
create trigger inv_boom before insert on public.messages
  for each row when (new.phone_number = '+12095550666') execute function tests.inv_boom();

select pg_temp.schedule(pg_temp.approved('+12095550403', 'good one')) as good1 \gset
select pg_temp.schedule(pg_temp.approved('+12095550666', 'bad one')) as bad \gset
select pg_temp.schedule(pg_temp.approved('+12095550404', 'good two')) as good2 \gset

select results_eq($$select processed_count from process_scheduled_messages_safe()$$, $$values (2)$$,
                  'the two good rows are promoted in the same call');
select is(pg_temp.sm_status(:good1), 'queued', 'good row 1 is queued');
select is(pg_temp.sm_status(:good2), 'queued', 'good row 2 is queued');
select is(pg_temp.sm_status(:bad), 'failed', 'only the bad row is failed');
select matches((select error_message from scheduled_messages where id = :bad), 'injected failure',
               'with the reason in error_message');
select is((select count(*) from messages where scheduled_message_id = :bad), 0::bigint, 'and has no bubble');

select * from finish();
rollback;
