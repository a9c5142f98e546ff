-- What the owner creates in `public` after the migrations (a person in the dashboard's SQL editor, a
-- later migration that forgets its revokes) is born without privileges for anon, authenticated or
-- PUBLIC, and with only SELECT/INSERT/UPDATE/DELETE (tables), USAGE/SELECT (sequences) and EXECUTE
-- (functions) for service_role. Supabase's own default privileges would grant ALL to all three API
-- roles; migration 20261201990000_api_privileges.sql changes them. The objects are created here, as
-- postgres (the role migrations and the SQL editor run as), inside the transaction that rolls back.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(16);

create table public.later_table (id bigint generated always as identity primary key, phone_number text);
create view public.later_view with (security_invoker = true) as select id, phone_number from public.later_table;
create materialized view public.later_matview as select 1 as one;
create sequence public.later_sequence;
create function public.later_function() returns integer language sql as 'select 1';
create function public.later_trigger_function() returns trigger language plpgsql as 'begin return new; end';
create function internal.later_internal_function() returns integer language sql as 'select 1';

create temporary table api_role (rolname text) on commit drop;
insert into api_role values ('anon'), ('authenticated'), ('public');

select is_empty($$
  select format('%s has %s on %s', r.rolname, p.privilege, c.oid::regclass)
    from pg_class c
   cross join pg_temp.api_role r
   cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p(privilege)
   where c.oid in ('public.later_table'::regclass, 'public.later_view'::regclass, 'public.later_matview'::regclass)
     and has_table_privilege(r.rolname, c.oid, p.privilege)
$$, 'a new table, view or materialized view grants nothing to anon, authenticated or PUBLIC');

select is_empty($$
  select format('%s has %s on public.later_sequence', r.rolname, p.privilege)
    from pg_temp.api_role r
   cross join unnest(array['USAGE', 'SELECT', 'UPDATE']) p(privilege)
   where has_sequence_privilege(r.rolname, 'public.later_sequence', p.privilege)
$$, 'a new sequence is not usable by anon, authenticated or PUBLIC');

select is_empty($$
  select format('%s may execute %s', r.rolname, f.oid::regprocedure)
    from pg_temp.api_role r
   cross join (values ('public.later_function()'::regprocedure), ('public.later_trigger_function()'::regprocedure),
                      ('internal.later_internal_function()'::regprocedure)) f(oid)
   where has_function_privilege(r.rolname, f.oid, 'EXECUTE')
$$, 'a new function (public or internal) is not executable by anon, authenticated or PUBLIC');

-- service_role: what a person's editing needs, nothing more.
select ok(has_table_privilege('service_role', 'public.later_table', 'SELECT, INSERT, UPDATE, DELETE')
          and has_table_privilege('service_role', 'public.later_view', 'SELECT'),
          'service_role may select, insert, update and delete on a new table');
select is_empty($$
  select format('service_role has %s on %s', p.privilege, c.oid::regclass)
    from (values ('public.later_table'::regclass), ('public.later_view'::regclass)) c(oid)
   cross join unnest(array['TRUNCATE', 'REFERENCES', 'TRIGGER']) p(privilege)
   where has_table_privilege('service_role', c.oid, p.privilege)
$$, 'service_role has no TRUNCATE, REFERENCES or TRIGGER on a new table or view');
select ok(has_sequence_privilege('service_role', 'public.later_sequence', 'USAGE, SELECT')
          and not has_sequence_privilege('service_role', 'public.later_sequence', 'UPDATE'),
          'service_role may use a new sequence but not setval it');
select ok(has_function_privilege('service_role', 'public.later_function()', 'EXECUTE')
          and not has_function_privilege('service_role', 'internal.later_internal_function()', 'EXECUTE'),
          'service_role may execute a new function in public, not one in internal');

-- The same, as the roles themselves.
set local role anon;
select throws_ok('select * from public.later_table', '42501', 'permission denied for table later_table',
                 'anon cannot read a new table');
select throws_ok('select * from public.later_view', '42501', 'permission denied for view later_view',
                 'anon cannot read a new view');
select throws_ok('select public.later_function()', '42501', 'permission denied for function later_function',
                 'anon cannot call a new function');
select throws_ok($$select nextval('public.later_sequence')$$, '42501',
                 'permission denied for sequence later_sequence', 'anon cannot use a new sequence');
reset role;
set local role authenticated;
select throws_ok('select * from public.later_table', '42501', 'permission denied for table later_table',
                 'authenticated cannot read a new table');
select throws_ok('select one from public.later_matview', '42501',
                 'permission denied for materialized view later_matview',
                 'authenticated cannot read a new materialized view');
reset role;
set local role service_role;
select lives_ok($$insert into public.later_table (phone_number) values ('+12095550999')$$,
                'service_role can insert into a new table');
select throws_ok('truncate public.later_table', '42501', 'permission denied for table later_table',
                 'service_role cannot truncate a new table');
select throws_ok('create trigger later_trigger before insert on public.later_table
                  for each row execute function public.later_trigger_function()', '42501', null,
                 'service_role cannot put a trigger on a new table');
reset role;

select * from finish();
rollback;
