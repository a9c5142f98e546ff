-- pg_cron: run the promotion every minute inside the database, when the platform offers pg_cron.
--
-- Why guarded: Supabase Pro has pg_cron (created in pg_catalog, as Supabase does); the free tier and
-- any database other than `cron.database_name` cannot create it. The migration must succeed either way,
-- and the fact must be queryable (promotion_job_active()) so the listener or the edge function takes
-- over promotion when no job runs. pg_cron schedules run in UTC (1.4 has no cron.timezone), which is
-- fine: every Pacific-time decision is made by process_scheduled_messages_safe() itself.

do $$
begin
  begin
    create extension if not exists pg_cron with schema pg_catalog;
  exception when others then
    raise notice 'pg_cron is not available in database % (%); promotion must be driven by the listener '
      'or the edge function (see promotion_job_active())', current_database(), sqlerrm;
  end;
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    -- cron.schedule() with an existing job name updates that job: re-running this is harmless.
    perform cron.schedule(
      'process-scheduled-messages',
      '* * * * *',
      'select * from process_scheduled_messages_safe()'
    );
  end if;
end
$$;

-- Is the promotion job installed and active for this database? Security definer because cron.job is
-- readable only by the job's owner; the function reveals nothing but this boolean.
create function public.promotion_job_active()
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  -- Dynamic: the cron schema exists only where pg_cron does (a static reference would not compile).
  v_query constant text := 'select exists (select 1 from cron.job j where j.jobname = $1 and j.active '
                           'and j.database = pg_catalog.current_database())';
  v_active boolean;
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    return false;
  end if;
  execute v_query into v_active using 'process-scheduled-messages';
  return coalesce(v_active, false);
end
$$;

comment on function public.promotion_job_active() is
  'True when pg_cron is installed here and its job process-scheduled-messages is active for this database. '
  'When false, the listener (or the edge function) must call process_scheduled_messages_safe() itself.';

revoke execute on function public.promotion_job_active() from public, anon, authenticated;
grant execute on function public.promotion_job_active() to service_role;
