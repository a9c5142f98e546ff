-- The API roles' privileges, for what exists now AND for what anyone creates later. Runs after every
-- other migration (hence its timestamp); keep it last.
--
-- Why: a Supabase project grants anon, authenticated and service_role ALL on every table, sequence and
-- function created in `public` (default privileges, see dev/supabase_compat.sql), and PostgreSQL itself
-- lets PUBLIC execute every new function. Each migration revokes what it creates, but a view or table a
-- person adds later in the dashboard would be readable over HTTP with the anon key, and service_role
-- could TRUNCATE the message tables or put a trigger on them. So:
--   (a) default privileges: what postgres (and every other creator role we may act for) creates later
--       in `public` is granted to nobody but service_role, which gets only SELECT, INSERT, UPDATE,
--       DELETE on tables and views, USAGE and SELECT on sequences, EXECUTE on functions;
--   (b) a sweep makes today's objects match: nothing in `public` for anon, authenticated or PUBLIC
--       (except the functions this project grants to PUBLIC on purpose: none), and service_role
--       without TRUNCATE, TRIGGER, REFERENCES on tables and without UPDATE (setval) on sequences;
--   (c) the private schema `internal` is the owner's alone: no USAGE, no privilege on anything in it,
--       for PUBLIC, anon, authenticated or service_role. Public functions that need it are security
--       definer (docs/state-machine.md).
-- What it means for a person's own tables: README.md, "Running it for real". Checked by
-- supabase/tests/database/catalogue/*.test.sql. Idempotent: the harness migrates two databases of one
-- cluster, and `supabase db push` may re-run it after a failed attempt.

create schema if not exists internal;

-- (a) Default privileges ------------------------------------------------------------------------------
-- Default privileges belong to the role that creates the object. We change them for the role running
-- this migration (postgres) and for every other role that has default privileges in `public` (on
-- Supabase: supabase_admin) when we may act for it; a hosted project's postgres is not a member of
-- supabase_admin, so that one is skipped with a NOTICE (it creates objects only in Supabase's own
-- upgrades, which set their own grants).
--
-- EXECUTE for PUBLIC on new functions is PostgreSQL's built-in default, granted globally (not per
-- schema), and a per-schema REVOKE cannot remove a global grant. So it is revoked globally for the
-- creator role and granted back per schema in `extensions` only, where Supabase installs extensions
-- whose functions everyone calls (pgTAP's in the tests, uuid-ossp's, ...): new functions in `public`
-- and `internal` are executable by nobody but their owner and whom a migration grants.
do $$
declare
  creator record;
begin
  for creator in
    select r.rolname
      from pg_roles r
     where r.rolname = current_user
        or r.oid in (select d.defaclrole
                       from pg_default_acl d
                      where d.defaclnamespace in (0, 'public'::regnamespace))
     order by r.rolname
  loop
    if not pg_has_role(current_user, creator.rolname, 'MEMBER') then
      raise notice 'default privileges of role % left as they are: % may not act for it',
        creator.rolname, current_user;
      continue;
    end if;
    execute format('alter default privileges for role %I in schema public '
                   'revoke all on tables from public, anon, authenticated', creator.rolname);
    execute format('alter default privileges for role %I in schema public '
                   'revoke all on sequences from public, anon, authenticated', creator.rolname);
    execute format('alter default privileges for role %I in schema public '
                   'revoke all on functions from public, anon, authenticated', creator.rolname);
    execute format('alter default privileges for role %I '
                   'revoke execute on functions from public', creator.rolname);
    if to_regnamespace('extensions') is not null then
      execute format('alter default privileges for role %I in schema extensions '
                     'grant execute on functions to public', creator.rolname);
    end if;
    -- service_role: what a person's editing needs, nothing that removes rows wholesale or runs code
    -- on every write (TRUNCATE skips row triggers; TRIGGER would let it attach its own).
    execute format('alter default privileges for role %I in schema public '
                   'revoke truncate, trigger, references on tables from service_role', creator.rolname);
    execute format('alter default privileges for role %I in schema public '
                   'grant select, insert, update, delete on tables to service_role', creator.rolname);
    execute format('alter default privileges for role %I in schema public '
                   'revoke update on sequences from service_role', creator.rolname);
    execute format('alter default privileges for role %I in schema public '
                   'grant usage, select on sequences to service_role', creator.rolname);
    execute format('alter default privileges for role %I in schema public '
                   'grant execute on functions to service_role', creator.rolname);
    -- Nothing created later in `internal` is anyone's but the owner's (no built-in default grants
    -- tables there; this also covers a creator whose earlier settings did).
    execute format('alter default privileges for role %I in schema internal '
                   'revoke all on tables from public, anon, authenticated, service_role', creator.rolname);
    execute format('alter default privileges for role %I in schema internal '
                   'revoke all on sequences from public, anon, authenticated, service_role', creator.rolname);
    execute format('alter default privileges for role %I in schema internal '
                   'revoke all on functions from public, anon, authenticated, service_role', creator.rolname);
  end loop;
end
$$;

-- (b) Today's objects in public -----------------------------------------------------------------------
-- ALL TABLES covers views, materialized views and foreign tables too; ALL ROUTINES covers procedures.
-- Revoking a table privilege also revokes the matching column privileges.
revoke all on all tables in schema public from public, anon, authenticated;
revoke all on all sequences in schema public from public, anon, authenticated;
revoke all on all routines in schema public from public, anon, authenticated;
revoke truncate, trigger, references on all tables in schema public from service_role;
revoke update on all sequences in schema public from service_role;

-- (c) The private schema --------------------------------------------------------------------------------
revoke all on schema internal from public, anon, authenticated, service_role;
revoke all on all tables in schema internal from public, anon, authenticated, service_role;
revoke all on all sequences in schema internal from public, anon, authenticated, service_role;
revoke all on all routines in schema internal from public, anon, authenticated, service_role;
