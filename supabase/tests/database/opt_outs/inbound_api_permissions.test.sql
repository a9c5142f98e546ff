-- The inbound, opt-out and delivery-report functions are executable by service_role only, SECURITY
-- DEFINER owned by postgres with search_path pinned; their tables and views are readable by service_role
-- and by nobody else; the internals are nobody's.
begin;
\ir ../_inbound_fixture.psql
select plan(13);

set local role anon;
select throws_ok($$select * from public.record_inbound_part('w', '+12095550801', now(), 'STOP', null, null, null, 'AA')$$,
  '42501', null, 'anon cannot store an inbound SMS');
select throws_ok($$select public.opt_in_number('+12095550801', 'x')$$, '42501', null, 'anon cannot opt a number in');
select throws_ok($$select * from public.opt_outs$$, '42501', null, 'anon cannot read opt-outs');
reset role;
set local role authenticated;
select throws_ok($$select * from public.record_status_report('w', 1, null, null, null, 0, 'AA')$$, '42501', null,
  'authenticated cannot store a report');
select throws_ok($$select * from public.inbound_messages$$, '42501', null, 'authenticated cannot read replies');
select throws_ok($$select * from public.dashboard_flagged_replies$$, '42501', null, 'nor the flagged replies');
reset role;

set local role service_role;
select isnt((select inbound_message_id from public.record_inbound_part('w', '+12095550801', statement_timestamp(), 'STOP',
                                                                          null, null, null, 'AA')), null,
  'service_role stores an inbound SMS');
select is((select count(*) from public.dashboard_opt_outs), 1::bigint, 'and reads the dashboard views');
select is(public.finish_stale_inbound_parts(), 0, 'and finishes stale parts');
select throws_ok($$select internal.classify_reply('STOP')$$, '42501', null, 'but cannot call an internal function');
reset role;

select is_empty($$
  select p.oid::regprocedure::text from pg_proc p
   where p.pronamespace = 'public'::regnamespace
     and p.proname in ('record_inbound_part', 'record_malformed_inbound', 'finish_stale_inbound_parts', 'opt_out_number',
                       'opt_in_number', 'opted_out_among', 'review_reply', 'record_status_report')
     and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute')
          or not has_function_privilege('service_role', p.oid, 'execute')
          or not p.prosecdef or p.proowner <> 'postgres'::regrole
          or not coalesce(p.proconfig @> array['search_path=""'], false))
$$, 'every inbound function: service_role only, security definer owned by postgres, search_path pinned');
select is((select count(*)::integer from pg_proc p where p.pronamespace = 'public'::regnamespace
            and p.proname in ('record_inbound_part', 'record_malformed_inbound', 'finish_stale_inbound_parts', 'opt_out_number',
                              'opt_in_number', 'opted_out_among', 'review_reply', 'record_status_report')), 8,
  'all eight exist');

select ok(exists (select from pg_publication_tables
                   where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'inbound_messages'),
  'inbound_messages is in the Realtime publication (a dashboard watches replies arrive)');

select * from finish();
rollback;
