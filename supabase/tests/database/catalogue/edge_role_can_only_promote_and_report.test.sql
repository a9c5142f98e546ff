-- sms_edge_promoter, the process-due edge function's role, can run the promotion and read the status
-- summary and nothing else: it owns nothing, bypasses nothing, belongs to no role, has no privilege on
-- any table, view or sequence in public or internal (the schemas of this project), and may execute exactly two functions in public
-- and none in internal. A sweep, so a grant added later (or PUBLIC's) is noticed.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(10);

select ok(exists (select from pg_roles where rolname = 'sms_edge_promoter'), 'the role exists');

select is_empty($$
  select format('sms_edge_promoter has attribute %s', a.attribute)
    from pg_roles r
   cross join lateral (values ('superuser', r.rolsuper), ('createrole', r.rolcreaterole),
                              ('createdb', r.rolcreatedb), ('replication', r.rolreplication),
                              ('bypassrls', r.rolbypassrls)) a(attribute, has)
   where r.rolname = 'sms_edge_promoter' and a.has
$$, 'no superuser, createrole, createdb, replication or bypassrls');

select is_empty($$
  select format('sms_edge_promoter is a member of %s', m.roleid::regrole)
    from pg_auth_members m where m.member = 'sms_edge_promoter'::regrole
$$, 'it belongs to no role (it inherits nothing)');

select is_empty($$
  select format('sms_edge_promoter owns %s', c.oid::regclass) from pg_class c where c.relowner = 'sms_edge_promoter'::regrole
   union all
  select format('sms_edge_promoter owns %s', p.oid::regprocedure) from pg_proc p where p.proowner = 'sms_edge_promoter'::regrole
   union all
  select format('sms_edge_promoter owns schema %s', n.nspname) from pg_namespace n where n.nspowner = 'sms_edge_promoter'::regrole
$$, 'it owns nothing');

select is_empty($$
  select format('sms_edge_promoter has %s on %s', p.privilege, c.oid::regclass)
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
   cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p(privilege)
   where n.nspname in ('public', 'internal')
     and c.relkind in ('r', 'p', 'v', 'm', 'f')
     and (has_table_privilege('sms_edge_promoter', c.oid, p.privilege)
          or (p.privilege in ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')
              and has_any_column_privilege('sms_edge_promoter', c.oid, p.privilege)))
   union all
  select format('sms_edge_promoter has %s on sequence %s', p.privilege, c.oid::regclass)
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
   cross join unnest(array['USAGE', 'SELECT', 'UPDATE']) p(privilege)
   where n.nspname in ('public', 'internal')
     and c.relkind = 'S'
     and case when c.relkind = 'S' then has_sequence_privilege('sms_edge_promoter', c.oid, p.privilege) else false end
   order by 1
$$, 'no privilege on any table, view, column or sequence in public or internal');

select set_eq($$
  select p.proname::text
    from pg_proc p
   where p.pronamespace in ('public'::regnamespace, 'internal'::regnamespace)
     and has_function_privilege('sms_edge_promoter', p.oid, 'EXECUTE')
$$, array['process_scheduled_messages_safe', 'process_due_status'],
  'it may execute exactly process_scheduled_messages_safe and process_due_status');

select is_empty($$
  select format('%s is not security definer: sms_edge_promoter has no table privileges to run it with', p.oid::regprocedure)
    from pg_proc p
   where p.pronamespace = 'public'::regnamespace
     and has_function_privilege('sms_edge_promoter', p.oid, 'EXECUTE')
     and not p.prosecdef
$$, 'what it may execute is security definer (it has no privileges of its own)');

insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
values ('+12095550977', 'Pgtap Edge', 'hello', now() + interval '1 day', 'pgtap-edge');

-- pgTAP's own functions live in `extensions`, which the role has no use for outside this test.
grant usage on schema extensions to sms_edge_promoter;
set local role sms_edge_promoter;
select throws_ok('select phone_number from public.scheduled_messages', '42501', null,
                 'it cannot read a phone number');
select throws_ok($$update public.messages set status = 'cancelled'$$, '42501', null, 'it cannot update messages');
select ok((public.process_due_status() -> 'scheduled_messages' ->> 'SCH')::integer >= 1,
          'it reads the status summary (the counts include the row inserted above)');
reset role;

select * from finish();
rollback;
