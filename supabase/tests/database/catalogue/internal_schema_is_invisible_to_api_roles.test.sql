-- The private schema `internal` (helpers, trigger functions, the transitions table) belongs to its
-- owner alone: PUBLIC, anon, authenticated and service_role have no USAGE on it and no privilege on
-- anything in it, so neither PostgREST nor a direct connection as an API role can reach it. Public API
-- functions that need it are security definer. Sweeps of pg_class and pg_proc over whatever exists in
-- `internal` (migration 20261201990000_api_privileges.sql creates the schema if nothing else did).
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(7);

create temporary table api_role (rolname text) on commit drop;
insert into api_role values ('anon'), ('authenticated'), ('service_role'), ('public');

select has_schema('internal', 'the private schema exists');

select is_empty($$
  select format('%s has %s on schema internal', r.rolname, p.privilege)
    from pg_temp.api_role r
   cross join unnest(array['USAGE', 'CREATE']) p(privilege)
   where has_schema_privilege(r.rolname, 'internal', p.privilege)
$$, 'no API role and not PUBLIC has USAGE or CREATE on schema internal');

select is_empty($$
  select format('schema internal has an ACL entry for %s', coalesce(a.grantee::regrole::text, 'PUBLIC'))
    from pg_namespace n
   cross join aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
   where n.nspname = 'internal'
     and a.grantee <> n.nspowner
$$, 'schema internal grants nothing to anyone but its owner');

select is_empty($$
  select format('%s may execute %s', r.rolname, p.oid::regprocedure)
    from pg_proc p
   cross join pg_temp.api_role r
   where p.pronamespace = 'internal'::regnamespace
     and has_function_privilege(r.rolname, p.oid, 'EXECUTE')
   order by 1
$$, 'no function in internal is executable by an API role or PUBLIC');

select is_empty($$
  select format('%s has %s on %s', r.rolname, p.privilege, c.oid::regclass)
    from pg_class c
   cross join pg_temp.api_role r
   cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p(privilege)
   where c.relnamespace = 'internal'::regnamespace
     and c.relkind in ('r', 'p', 'v', 'm', 'f')
     and (has_table_privilege(r.rolname, c.oid, p.privilege)
          or (p.privilege in ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')
              and has_any_column_privilege(r.rolname, c.oid, p.privilege)))
   union all
  select format('%s has %s on sequence %s', r.rolname, p.privilege, c.oid::regclass)
    from pg_class c
   cross join pg_temp.api_role r
   cross join unnest(array['USAGE', 'SELECT', 'UPDATE']) p(privilege)
   where c.relnamespace = 'internal'::regnamespace
     and c.relkind = 'S'
     and case when c.relkind = 'S' then has_sequence_privilege(r.rolname, c.oid, p.privilege) else false end
   order by 1
$$, 'no table, view or sequence in internal grants anything to an API role or PUBLIC');

-- As the role itself: even a function whose EXECUTE were granted stays out of reach without USAGE.
create function internal.catalogue_probe() returns integer language sql as 'select 1';
grant execute on function internal.catalogue_probe() to service_role;
set local role service_role;
select throws_ok('select internal.catalogue_probe()', '42501', 'permission denied for schema internal',
                 'service_role cannot reach a function in internal, even one granted to it');
reset role;
set local role anon;
select throws_ok('select internal.catalogue_probe()', '42501', 'permission denied for schema internal',
                 'anon cannot reach internal');
reset role;

select * from finish();
rollback;
