-- Invariant (g), every accepted value can be shown. Attack (issue 10): an 'infinity' timestamp broke
-- the seed's views (scheduled_messages_pst, minutes_until_send). Rows at the edges of what is accepted
-- (years 2000 and 2199) are shown by every view in public without an error, and infinity is refused.
begin;
\ir ../_fixture.psql
select plan(3);

insert into scheduled_messages (phone_number, customer_name, message_content, scheduled_for)
values ('+12095550901', 'Far Future', 'later [BUBBLE] much later', '2199-12-31 12:00Z'),
       ('+12095550902', 'Far Past', 'long ago', '2000-01-01 12:00Z');

create function pg_temp.view_errors() returns text[] language plpgsql as $$
declare
  v record;
  errors text[] := '{}';
begin
  for v in select table_name from information_schema.views where table_schema = 'public' order by 1 loop
    begin
      execute format('select count(*) from (select * from public.%I) x', v.table_name);
    exception when others then
      errors := errors || (v.table_name || ': ' || sqlerrm);
    end;
  end loop;
  return errors;
end $$;

select is(pg_temp.view_errors(), '{}'::text[], 'every public view can be read with rows in 2000 and 2199');
select is((select count(*) from scheduled_messages_pst where customer_name = 'Far Future'), 1::bigint,
          'scheduled_messages_pst shows the 2199 row');
select matches(pg_temp.outcome($$insert into scheduled_messages (phone_number, message_content, scheduled_for)
                                 values ('+12095550903', 'x', 'infinity')$$), '^23514: ', 'infinity is refused');

select * from finish();
rollback;
