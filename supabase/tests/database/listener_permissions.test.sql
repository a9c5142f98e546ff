-- Only service_role may execute the listener's functions or touch listener_status; anon and
-- authenticated (the roles behind the public API keys) get "permission denied". The helpers behind
-- them live in schema internal, which no API role may use.
begin;
\ir _listener_fixture.psql
select plan(21);

select pg_temp.queue_message('+12095550201', 1);

set local role anon;
select throws_ok($$select * from public.claim_next_bubble('w')$$, '42501', 'permission denied for function claim_next_bubble', 'anon cannot claim');
select throws_ok($$select public.mark_bubble_sent(1, 'w', 'r')$$, '42501', 'permission denied for function mark_bubble_sent', 'anon cannot mark sent');
select throws_ok($$select public.mark_bubble_failed(1, 'w', 'e', true)$$, '42501', 'permission denied for function mark_bubble_failed', 'anon cannot mark failed');
select throws_ok($$select public.mark_bubble_unknown(1, 'w', 'e')$$, '42501', 'permission denied for function mark_bubble_unknown', 'anon cannot mark unknown');
select throws_ok($$select public.release_bubble(1, 'w')$$, '42501', 'permission denied for function release_bubble', 'anon cannot release');
select throws_ok($$select public.recover_stale_claims()$$, '42501', 'permission denied for function recover_stale_claims', 'anon cannot recover claims');
select throws_ok($$select public.next_bubble_due_at()$$, '42501', 'permission denied for function next_bubble_due_at', 'anon cannot ask for the next due time');
select throws_ok($$select public.record_listener_heartbeat('w', '{}', null)$$, '42501', 'permission denied for function record_listener_heartbeat', 'anon cannot write a heartbeat');
select throws_ok($$select * from public.listener_status$$, '42501', 'permission denied for table listener_status', 'anon cannot read listener_status');
reset role;

set local role authenticated;
select throws_ok($$select * from public.claim_next_bubble('w')$$, '42501', 'permission denied for function claim_next_bubble', 'authenticated cannot claim');
select throws_ok($$select public.mark_bubble_sent(1, 'w', 'r')$$, '42501', 'permission denied for function mark_bubble_sent', 'authenticated cannot mark sent');
select throws_ok($$select public.recover_stale_claims()$$, '42501', 'permission denied for function recover_stale_claims', 'authenticated cannot recover claims');
select throws_ok($$select public.record_listener_heartbeat('w', '{}', null)$$, '42501', 'permission denied for function record_listener_heartbeat', 'authenticated cannot write a heartbeat');
select throws_ok($$insert into public.listener_status (worker_id) values ('intruder')$$, '42501', 'permission denied for table listener_status', 'authenticated cannot insert into listener_status');
reset role;

set local role service_role;
select is((select status from public.claim_next_bubble('svc')), 'sending', 'service_role can claim');
select is((select status from public.mark_bubble_sent(1, 'svc', 'r')), 'sent', 'service_role can mark sent');
select is(public.recover_stale_claims('svc'), 0, 'service_role can recover claims');
select is(public.next_bubble_due_at(), null, 'service_role can ask for the next due time');
select is((select worker_id from public.record_listener_heartbeat('svc', '{}', null)), 'svc', 'service_role can write a heartbeat');
reset role;

select ok(
  not exists (
    select 1 from pg_proc p
     where p.pronamespace = 'public'::regnamespace
       and p.proname in ('claim_next_bubble', 'mark_bubble_sent', 'mark_bubble_failed', 'mark_bubble_unknown',
                         'release_bubble', 'recover_stale_claims', 'next_bubble_due_at', 'record_listener_heartbeat')
       and (has_function_privilege('anon', p.oid, 'execute')
            or has_function_privilege('authenticated', p.oid, 'execute')
            or not p.prosecdef
            or p.proowner <> 'postgres'::regrole
            or not coalesce(p.proconfig @> array['search_path=""'], false))
  ),
  'every listener function is executable by service_role only, security definer owned by postgres, search_path pinned');
select ok(
  not exists (
    select 1 from pg_proc p
     where p.pronamespace = 'internal'::regnamespace
       and p.proname in ('locked_claim', 'requeue', 'to_unknown', 'settings', 'messages_guard',
                         'messages_follow', 'messages_notify_queued')
       and (has_function_privilege('anon', p.oid, 'execute')
            or has_function_privilege('authenticated', p.oid, 'execute')
            or has_function_privilege('service_role', p.oid, 'execute'))
  ) and not has_schema_privilege('service_role', 'internal', 'usage'),
  'the listener''s internal helpers are executable by no API role, service_role included');

select * from finish();
rollback;
