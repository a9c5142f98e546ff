-- service_role (the dashboard's and the listener's key) keeps what editing rows needs and nothing that
-- bypasses the per-row guards: no TRUNCATE (it skips row triggers, so a guard could not refuse it), no
-- TRIGGER (it could attach its own code to the message tables), no REFERENCES, no setval on sequences.
-- Sweeps every table and sequence in `public`, then tries it as service_role on every table.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(6);

select is_empty($$
  select format('service_role has %s on %s: revoke %s on %s from service_role', p.privilege, c.oid::regclass,
                p.privilege, c.oid::regclass)
    from pg_class c
   cross join unnest(array['TRUNCATE', 'TRIGGER', 'REFERENCES']) p(privilege)
   where c.relnamespace = 'public'::regnamespace
     and c.relkind in ('r', 'p', 'v', 'm', 'f')
     and has_table_privilege('service_role', c.oid, p.privilege)
   order by 1
$$, 'service_role has no TRUNCATE, TRIGGER or REFERENCES on anything in public');

select is_empty($$
  select format('service_role has REFERENCES on a column of %s', c.oid::regclass)
    from pg_class c
   where c.relnamespace = 'public'::regnamespace
     and c.relkind in ('r', 'p', 'v', 'm', 'f')
     and has_any_column_privilege('service_role', c.oid, 'REFERENCES')
$$, 'service_role has no column REFERENCES in public');

select is_empty($$
  select format('service_role may setval %s', c.oid::regclass)
    from pg_class c
   where c.relnamespace = 'public'::regnamespace and c.relkind = 'S'
     and case when c.relkind = 'S' then has_sequence_privilege('service_role', c.oid, 'UPDATE') else false end
$$, 'service_role cannot setval a sequence in public');

-- As service_role, on every table: TRUNCATE and CREATE TRIGGER are refused. The trigger function is
-- one service_role may execute, so a refusal can only come from the missing TRIGGER privilege.
create function public.catalogue_probe_trigger() returns trigger language plpgsql as 'begin return new; end';
grant execute on function public.catalogue_probe_trigger() to service_role;
create function pg_temp.allowed_by_service_role(statement_template text) returns text[]
language plpgsql as $$
declare
  rel regclass;
  allowed text[] := '{}';
begin
  for rel in select c.oid from pg_class c
              where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
              order by c.oid
  loop
    begin
      execute format(statement_template, rel);
      allowed := allowed || rel::text;
    exception when insufficient_privilege then
      null;
    end;
  end loop;
  return allowed;
end $$;
grant execute on function pg_temp.allowed_by_service_role(text) to service_role;

select ok(has_function_privilege('service_role', 'public.catalogue_probe_trigger()', 'EXECUTE'),
          'precondition: service_role may execute the probe trigger function');
set local role service_role;
select is(pg_temp.allowed_by_service_role('truncate %s'), '{}'::text[], 'service_role can truncate no table in public');
select is(pg_temp.allowed_by_service_role(
            'create trigger catalogue_probe before insert on %s for each row execute function public.catalogue_probe_trigger()'),
          '{}'::text[], 'service_role can create a trigger on no table in public');
reset role;

select * from finish();
rollback;
