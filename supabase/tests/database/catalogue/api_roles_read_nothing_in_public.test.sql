-- anon and authenticated (the roles behind the public API keys) and PUBLIC hold no privilege at all on
-- anything in `public`: no table, view, materialized view, foreign table, column, sequence or function.
-- RLS would hide rows, but a privilege is still a door (a view, a function, a sequence's values); the
-- rule is that there is none. Sweeps of pg_class and pg_proc, so objects added later are judged too
-- (objects_created_later_are_not_exposed.test.sql checks that they are born without privileges).
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(5);

create temporary table api_role (rolname text) on commit drop;
insert into api_role values ('anon'), ('authenticated'), ('public');

-- Every privilege an API role (or PUBLIC) holds on an object in public, one line each.
create temporary view api_exposure as
  select format('%s has %s on %s', r.rolname, p.privilege, c.oid::regclass) as exposure
    from pg_class c
   cross join pg_temp.api_role r
   cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p(privilege)
   where c.relnamespace = 'public'::regnamespace
     and c.relkind in ('r', 'p', 'v', 'm', 'f')
     and has_table_privilege(r.rolname, c.oid, p.privilege)
   union all
  select format('%s has %s on a column of %s', r.rolname, p.privilege, c.oid::regclass)
    from pg_class c
   cross join pg_temp.api_role r
   cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'REFERENCES']) p(privilege)
   where c.relnamespace = 'public'::regnamespace
     and c.relkind in ('r', 'p', 'v', 'm', 'f')
     and has_any_column_privilege(r.rolname, c.oid, p.privilege)
     and not has_table_privilege(r.rolname, c.oid, p.privilege)
   union all
  select format('%s has %s on sequence %s', r.rolname, p.privilege, c.oid::regclass)
    from pg_class c
   cross join pg_temp.api_role r
   cross join unnest(array['USAGE', 'SELECT', 'UPDATE']) p(privilege)
   where c.relnamespace = 'public'::regnamespace
     and case when c.relkind = 'S' then has_sequence_privilege(r.rolname, c.oid, p.privilege) else false end
   union all
  select format('%s may execute %s', r.rolname, p.oid::regprocedure)
    from pg_proc p
   cross join pg_temp.api_role r
   where p.pronamespace = 'public'::regnamespace
     and has_function_privilege(r.rolname, p.oid, 'EXECUTE');

select is_empty('select exposure from pg_temp.api_exposure order by 1',
  'nothing in public (tables, views, columns, sequences, functions) is granted to anon, authenticated or PUBLIC');

-- As the roles themselves: every relation in public refuses to be read.
create function pg_temp.readable_relations() returns text[]
language plpgsql as $$
declare
  rel regclass;
  readable text[] := '{}';
begin
  for rel in select c.oid from pg_class c
              where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
  loop
    begin
      execute format('select from %s limit 0', rel);
      readable := readable || rel::text;
    exception when insufficient_privilege then
      null;
    end;
  end loop;
  return readable;
end $$;
grant execute on function pg_temp.readable_relations() to anon, authenticated;

set local role anon;
select is(pg_temp.readable_relations(), '{}'::text[], 'anon can select from no relation in public');
reset role;
set local role authenticated;
select is(pg_temp.readable_relations(), '{}'::text[], 'authenticated can select from no relation in public');
reset role;

-- The sweep can fail: grants made here (rolled back) are each found.
create table public.catalogue_probe_exposed (id integer, secret text);
alter table public.catalogue_probe_exposed enable row level security;
grant select on public.catalogue_probe_exposed to anon;
grant update (secret) on public.catalogue_probe_exposed to authenticated;
create function public.catalogue_probe_exposed_function() returns integer language sql as 'select 1';
grant execute on function public.catalogue_probe_exposed_function() to public;
select set_eq('select exposure from pg_temp.api_exposure',
  array['anon has SELECT on catalogue_probe_exposed',
        'authenticated has UPDATE on a column of catalogue_probe_exposed',
        'public may execute catalogue_probe_exposed_function()',
        'anon may execute catalogue_probe_exposed_function()',           -- through PUBLIC
        'authenticated may execute catalogue_probe_exposed_function()'],
  'the same sweep finds a table, a column and a function granted to an API role or PUBLIC');
set local role anon;
select is(pg_temp.readable_relations(), array['catalogue_probe_exposed'], 'and anon can then read the table');
reset role;

select * from finish();
rollback;
