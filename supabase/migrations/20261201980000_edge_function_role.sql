-- The edge function's own database role: `sms_edge_promoter` (docs/edge-function.md).
--
-- Why: the connection Supabase hands every edge function (SUPABASE_DB_URL) is the database owner. A bug
-- or a leaked function secret would then be able to read every customer's phone number, rewrite
-- messages or drop tables. `process-due` needs exactly two things: run the promotion the pg_cron job
-- runs, and read a status summary. So it connects as this role, which can do nothing else: it owns
-- nothing, has no table privileges, does not bypass RLS, and may execute only the functions below.
--
-- The role is NOLOGIN here: a migration must not carry a password. The operator enables it once
-- (`alter role sms_edge_promoter with login password ...`) and stores the connection string as the
-- function secret PROCESS_DUE_DB_URL; the exact steps are in docs/edge-function.md.
--
-- Idempotent: roles are cluster-wide, so a second database in the same cluster (the test harness
-- migrates two) finds the role already there and only adds this database's grants.

do $$
begin
  if not exists (select from pg_roles where rolname = 'sms_edge_promoter') then
    create role sms_edge_promoter nologin noinherit nosuperuser nocreatedb nocreaterole nobypassrls;
  end if;
end
$$;

comment on role sms_edge_promoter is
  'The process-due edge function: may run process_scheduled_messages_safe() and process_due_status(), '
  'nothing else (no table privileges). NOLOGIN until an operator sets a password; see docs/edge-function.md.';

grant usage on schema public to sms_edge_promoter;

-- The status document's numbers, read in one statement (one snapshot, so they agree with each other).
-- Security definer because the caller has no right to read the tables: it gets counts, ages and the
-- listeners' heartbeats, never a phone number, a name or a message text.
create or replace function public.process_due_status()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'now', now(),
    'time_zone', w.time_zone,
    'open', public.is_business_hours(now()),
    'local_time', to_char(now() at time zone w.time_zone, 'YYYY-MM-DD HH24:MI:SS Dy'),
    'next_opening', n.next_opening,
    'next_opening_local', to_char(n.next_opening at time zone w.time_zone, 'YYYY-MM-DD HH24:MI:SS Dy'),
    'promotion_job_active', public.promotion_job_active(),
    'scheduled_messages', coalesce(
      (select jsonb_object_agg(s.status, s.count)
         from (select status, count(*) as count from public.scheduled_messages group by status) s),
      '{}'::jsonb),
    'messages', coalesce(
      (select jsonb_object_agg(m.status, m.count)
         from (select status, count(*) as count from public.messages group by status) m),
      '{}'::jsonb),
    'oldest_queued_bubble', (
      select jsonb_build_object('id', b.id, 'queued_at', b.created_at,
                                'age_seconds', greatest(0, extract(epoch from now() - b.created_at)))
        from public.messages b
       where b.status = 'queued'
       order by b.created_at, b.id
       limit 1),
    'listeners', coalesce(
      (select jsonb_agg(jsonb_build_object(
                'worker_id', l.worker_id,
                'last_seen_at', l.last_seen_at,
                'seconds_since_heartbeat', extract(epoch from now() - l.last_seen_at),
                'started_at', l.started_at,
                'last_sent_at', l.last_sent_at,
                'queue_depth', l.queue_depth,
                'modem_health', l.modem_health) order by l.worker_id)
         from public.listener_status l),
      '[]'::jsonb))
  from public.send_window w
  cross join lateral (select public.next_window_opening(now()) as next_opening) n
  limit 1
$$;

comment on function public.process_due_status() is
  'The process-due edge function''s status numbers (docs/edge-function.md): the send window, counts per '
  'status, the oldest queued bubble, the listeners'' heartbeats. No phone numbers or texts. Null when '
  'send_window has no settings row.';

revoke all on function public.process_due_status() from public, anon, authenticated;
grant execute on function public.process_due_status() to service_role, sms_edge_promoter;

-- The promotion: the overload of process_scheduled_messages_safe that can be called without an argument
-- (the pg_cron job's call). Found in the catalogue rather than by signature, because the signature
-- changes with the state-machine rewrite (its `at` argument goes: writing functions act on the
-- database clock). It must be security definer to work for a role without table privileges; the
-- rewrite makes it so (it needs the private schema), and where an older definition is not, this
-- makes it so, refusing one whose search_path is not pinned (a definer function with a caller-chosen
-- search_path would run the caller's objects as the owner).
do $$
declare
  f record;
  granted integer := 0;
begin
  for f in
    select p.oid::regprocedure as signature, p.prosecdef,
           exists (select from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%') as pinned
      from pg_proc p
     where p.pronamespace = 'public'::regnamespace
       and p.proname = 'process_scheduled_messages_safe'
       and p.pronargs = p.pronargdefaults
  loop
    if not f.pinned then
      raise exception '% does not pin its search_path, so it cannot safely be made security definer for sms_edge_promoter',
        f.signature
        using hint = 'add "set search_path = ''''" to the function (and qualify every name in it), then migrate again';
    end if;
    if not f.prosecdef then
      execute format('alter function %s security definer', f.signature);
      raise notice '% is now security definer (sms_edge_promoter has no table privileges)', f.signature;
    end if;
    execute format('revoke all on function %s from public, anon, authenticated', f.signature);
    execute format('grant execute on function %s to sms_edge_promoter', f.signature);
    granted := granted + 1;
  end loop;
  if granted = 0 then
    raise exception 'public.process_scheduled_messages_safe() (callable without arguments) does not exist'
      using hint = 'the promotion migration must run before this one; the edge function calls it with no argument';
  end if;
end
$$;
