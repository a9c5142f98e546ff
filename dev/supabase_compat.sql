-- Supabase-compatibility bootstrap for a VANILLA PostgreSQL 15 cluster (local development and tests).
--
-- Why: a hosted Supabase project (and `supabase start`) already has these roles, schemas, publication
-- and default privileges. Our migrations rely on them existing but must never create them, so that the
-- very same migration files apply unchanged to a hosted project. This file recreates just enough of
-- Supabase's platform setup on a plain cluster. It is NOT a migration and is never run on Supabase.
-- It is idempotent: running it again changes nothing.

-- The API roles PostgREST and Realtime switch to. service_role bypasses RLS, as on Supabase.
do $$
begin
  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
end
$$;

grant anon, authenticated, service_role to authenticator;

-- Supabase installs extensions into their own schema.
create schema if not exists extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;

-- Supabase Realtime streams the tables of this publication (`alter publication ... add table`).
do $$
begin
  if not exists (select from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$$;

-- Supabase's default privileges on public: the API roles get table, sequence and function
-- privileges by default. This is exactly why every table needs RLS and every function an explicit
-- revoke: without them, anon could read the customers' phone numbers over HTTP.
grant usage on schema public to anon, authenticated, service_role;
grant all on all tables in schema public to anon, authenticated, service_role;
grant all on all sequences in schema public to anon, authenticated, service_role;
grant all on all functions in schema public to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to anon, authenticated, service_role;
