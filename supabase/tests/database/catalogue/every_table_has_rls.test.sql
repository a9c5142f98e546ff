-- Every table in `public` (the schema the Data API exposes) has row level security enabled: a table
-- without it is readable by any role that is ever granted SELECT on it, policies or not.
-- A sweep of pg_class, not a list of today's names, so it also judges tomorrow's tables; a partition
-- counts as a table (it can be queried directly).
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(3);

select isnt_empty($$
  select c.oid from pg_class c
   where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
$$, 'the sweep has tables to judge (public is not empty)');

select is_empty($$
  select format('%s has no row level security: alter table %s enable row level security', c.oid::regclass, c.oid::regclass)
    from pg_class c
   where c.relnamespace = 'public'::regnamespace
     and c.relkind in ('r', 'p')
     and not c.relrowsecurity
   order by 1
$$, 'every table in public has row level security enabled');

-- The sweep can fail: a table created without RLS inside this transaction is found.
create table public.catalogue_probe_without_rls (id integer);
select is(array(select c.relname::text from pg_class c
                  where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relrowsecurity),
          array['catalogue_probe_without_rls'], 'the same sweep finds a table created without RLS');

select * from finish();
rollback;
