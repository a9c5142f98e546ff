-- Invariant (c): a message cancelled after some of its bubbles went out says "partially sent", and the
-- dashboard's views show it (a person looking at the dashboard must not read "cancelled, nothing sent").
-- Checked over every public view that has an error_message column, so the test does not depend on the
-- view's name; at least one must show the row's "partially sent" note.
begin;
\ir ../_fixture.psql
select plan(2);

select pg_temp.queued('+12095550904', 'one [BUBBLE] two') as sm \gset
select pg_temp.send_next('w1');
update scheduled_messages set status = 'cancelled' where id = :sm;

create function pg_temp.views_showing(pattern text) returns text[] language plpgsql as $$
declare
  v record;
  n bigint;
  shown text[] := '{}';
begin
  for v in select table_name from information_schema.columns
            where table_schema = 'public' and column_name = 'error_message'
              and table_name in (select table_name from information_schema.views where table_schema = 'public')
  loop
    execute format('select count(*) from public.%I where error_message like %L', v.table_name, pattern) into n;
    if n > 0 then shown := shown || v.table_name::text; end if;
  end loop;
  return shown;
end $$;

select matches((select error_message from scheduled_messages where id = :sm), 'partially sent: 1 of 2',
               'the table row says partially sent: 1 of 2');
select ok(cardinality(pg_temp.views_showing('%partially sent%')) >= 1,
          'a dashboard view shows the partially sent note');

select * from finish();
rollback;
