-- Wake-ups for the listener: a sender should start on a new bubble at once, not at its next poll.
--
-- Two channels, one per way the listener can reach the database:
--   * Postgres mode: LISTEN messages_queued. The trigger below NOTIFYs with the bubble's id when a
--     bubble is inserted as queued, and when one goes back to queued (released at shutdown, retried
--     after a transient failure, or resent by a person), so an idle listener picks it up.
--     NOTIFY is transactional: listeners hear it only when the inserting transaction commits.
--   * Supabase mode: Realtime postgres_changes on public.messages, which needs the table in the
--     supabase_realtime publication (added below, idempotently: a re-run or a project where someone
--     already added it must not fail).
-- Polling stays on in the listener as the safety net; a missed wake-up costs latency, never a message.

create or replace function public.messages_notify_queued()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.status = 'queued' and (tg_op = 'INSERT' or old.status is distinct from 'queued') then
    perform pg_notify('messages_queued', new.id::text);
  end if;
  return null;
end;
$$;

comment on function public.messages_notify_queued() is
  'AFTER INSERT/UPDATE trigger on messages: pg_notify(''messages_queued'', id) when a bubble is (again) queued.';
revoke execute on function public.messages_notify_queued() from public, anon, authenticated;

create or replace trigger messages_notify_queued
  after insert on public.messages
  for each row
  when (new.status = 'queued')
  execute function public.messages_notify_queued();

create or replace trigger messages_notify_requeued
  after update of status on public.messages
  for each row
  when (new.status = 'queued' and old.status is distinct from 'queued')
  execute function public.messages_notify_queued();

do $$
begin
  if not exists (select from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    raise notice 'publication supabase_realtime does not exist: Realtime wake-ups are unavailable here (LISTEN/NOTIFY and polling still work)';
  elsif not exists (
    select from pg_catalog.pg_publication_tables
     where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'messages'
  ) then
    alter publication supabase_realtime add table public.messages;
  end if;
end
$$;
