-- The clock (docs/state-machine.md): functions that change data act on the database clock, never on a
-- moment passed by the caller. Attack (issue 10): passing `at` to promotion or to the claim sent a
-- message outside the window or re-dated a send. No writing function accepts a moment argument.
begin;
\ir ../_fixture.psql
select plan(3);

select is(
  (select array_agg(p.oid::regprocedure::text order by 1)
     from pg_proc p
    where p.pronamespace = 'public'::regnamespace
      and p.proname in ('process_scheduled_messages_safe', 'process_scheduled_messages', 'claim_next_bubble',
                        'mark_bubble_sent', 'mark_bubble_failed', 'mark_bubble_unknown', 'release_bubble',
                        'recover_stale_claims', 'next_bubble_due_at', 'record_listener_heartbeat',
                        'promote_scheduled_message')
      and exists (select 1 from unnest(p.proargtypes::oid[]) t where t in ('timestamptz'::regtype, 'timestamp'::regtype))
      and p.proname <> 'record_listener_heartbeat'),
  null, 'no writing function takes a timestamp argument');
select is(
  (select array_agg(p.oid::regprocedure::text)
     from pg_proc p
    where p.pronamespace = 'public'::regnamespace
      and 'at' = any (coalesce(p.proargnames, '{}'))
      and p.proname not in ('is_business_hours', 'window_closing',
                            -- issue 13: the read-only recipient window functions (docs/recipient-windows.md)
                            'recipient_window_open', 'recipient_window_closing')),
  null, 'only the read-only window functions (is_business_hours, window_closing, recipient_window_*) take an `at`');
select is(
  (select array_agg(p.oid::regprocedure::text)
     from pg_proc p
    where p.pronamespace = 'public'::regnamespace
      and p.proname like 'recipient_window%' and p.provolatile = 'v'),
  null, 'the recipient window functions are read-only (stable)');

select * from finish();
rollback;
