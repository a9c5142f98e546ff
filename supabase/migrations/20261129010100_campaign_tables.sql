-- The three tables of the seed: campaign_messages (what a person approves), scheduled_messages (when it
-- goes out) and messages (one row per [BUBBLE], what the listener sends).
--
-- Why constraints here and not in Python: the dashboard, the scheduler, an edge function and a person in
-- the SQL editor all write these rows. A phone number that is not E.164 or an unknown status is refused
-- by the database with a message naming the row, whoever wrote it. Partial indexes cover only the live
-- statuses, so the per-minute promotion and the listener's claim stay flat as history grows.

-- Shared trigger functions --------------------------------------------------------------------------

create function public.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;

-- E.164: '+', a country code that does not start with 0, at most 15 digits in all.
create function public.check_phone_number()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.phone_number is null or new.phone_number !~ '^\+[1-9][0-9]{6,14}$' then
    raise exception '%.phone_number of row % is not an E.164 number: "%"',
      tg_table_name, coalesce(new.id::text, '(new)'), coalesce(new.phone_number, 'NULL')
      using errcode = 'check_violation',
            constraint = tg_table_name || '_phone_number_e164',
            hint = 'Write it as + country code and digits, no spaces, e.g. +12095550123.';
  end if;
  return new;
end
$$;

revoke all on function public.set_updated_at() from public, anon, authenticated;
revoke all on function public.check_phone_number() from public, anon, authenticated;

-- campaign_messages -----------------------------------------------------------------------------------

create table public.campaign_messages (
  id bigint generated always as identity primary key,
  campaign_name text not null,
  customer_name text,
  phone_number text not null,
  message_content text not null,
  status text not null default 'SUG',
  approved_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint campaign_messages_phone_number_e164 check (phone_number ~ '^\+[1-9][0-9]{6,14}$'),
  constraint campaign_messages_status_check
    check (status in ('SUG', 'APR', 'SCH', 'sent', 'failed', 'cancelled')),
  constraint campaign_messages_content_not_blank check (btrim(message_content) <> '')
);

comment on table public.campaign_messages is
  'Campaign texts: SUG (suggested) -> APR (approved by a person) -> SCH (scheduled) -> sent | failed | cancelled.';

-- Importing the same campaign file twice inserts nothing new.
create unique index campaign_messages_import_key
  on public.campaign_messages (campaign_name, phone_number, md5(message_content));
create index campaign_messages_approved_idx on public.campaign_messages (campaign_name, id)
  where status = 'APR';

create trigger campaign_messages_phone_number
  before insert or update of phone_number on public.campaign_messages
  for each row execute function public.check_phone_number();
create trigger campaign_messages_updated_at
  before update on public.campaign_messages
  for each row execute function public.set_updated_at();

alter table public.campaign_messages enable row level security;
revoke all on table public.campaign_messages from public, anon, authenticated;
grant select, insert, update, delete on table public.campaign_messages to service_role;

-- scheduled_messages ----------------------------------------------------------------------------------

create table public.scheduled_messages (
  id bigint generated always as identity primary key,
  campaign_message_id bigint unique references public.campaign_messages (id),
  phone_number text not null,
  customer_name text,
  message_content text not null,
  scheduled_for timestamptz not null,
  status text not null default 'SCH',
  campaign_name text,
  error_message text,
  queued_at timestamptz,
  sent_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint scheduled_messages_phone_number_e164 check (phone_number ~ '^\+[1-9][0-9]{6,14}$'),
  constraint scheduled_messages_status_check
    check (status in ('SCH', 'queued', 'sent', 'failed', 'cancelled'))
);

comment on table public.scheduled_messages is
  'One text at one time: SCH -> queued (promotion split it into messages) -> sent (every bubble accepted '
  'by the modem) | failed | cancelled. failed -> SCH retries.';

-- Promotion: due SCH rows in time order (only live rows are in the index).
create index scheduled_messages_due_idx
  on public.scheduled_messages (scheduled_for, id) where status = 'SCH';
create index scheduled_messages_queued_idx
  on public.scheduled_messages (queued_at) where status = 'queued';
-- Dashboard: what went out or is planned on a given day.
create index scheduled_messages_scheduled_for_idx on public.scheduled_messages (scheduled_for);
create index scheduled_messages_sent_at_idx on public.scheduled_messages (sent_at) where sent_at is not null;

create trigger scheduled_messages_phone_number
  before insert or update of phone_number on public.scheduled_messages
  for each row execute function public.check_phone_number();
create trigger scheduled_messages_updated_at
  before update on public.scheduled_messages
  for each row execute function public.set_updated_at();

alter table public.scheduled_messages enable row level security;
revoke all on table public.scheduled_messages from public, anon, authenticated;
grant select, insert, update, delete on table public.scheduled_messages to service_role;

-- messages --------------------------------------------------------------------------------------------

create table public.messages (
  id bigint generated always as identity primary key,
  scheduled_message_id bigint references public.scheduled_messages (id),
  bubble_index integer,
  bubble_count integer,
  phone_number text not null,
  content text not null,
  status text not null default 'queued',
  attempts integer not null default 0,
  next_attempt_at timestamptz,
  worker_id text,
  claimed_at timestamptz,
  sent_at timestamptz,
  modem_reference text,
  error_message text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint messages_phone_number_e164 check (phone_number ~ '^\+[1-9][0-9]{6,14}$'),
  constraint messages_status_check
    check (status in ('queued', 'sending', 'sent', 'failed', 'unknown', 'cancelled')),
  constraint messages_content_not_blank check (btrim(content) <> ''),
  constraint messages_bubble_position check (
    (bubble_index is null and bubble_count is null)
    or (bubble_index >= 1 and bubble_count >= bubble_index)
  ),
  constraint messages_attempts_not_negative check (attempts >= 0)
);

comment on table public.messages is
  'One row per [BUBBLE] of a scheduled message: queued -> sending -> sent | failed | unknown | cancelled. '
  'unknown: handed to the modem without a final answer; never resent automatically.';

-- One row per bubble of a message (a retry reuses the rows, see process_scheduled_messages).
create unique index messages_bubble_key on public.messages (scheduled_message_id, bubble_index);
-- The listener's claim and the "earlier bubbles sent?" check look only at live rows.
create index messages_live_idx on public.messages (scheduled_message_id, bubble_index)
  where status in ('queued', 'sending');
create index messages_queued_idx on public.messages (next_attempt_at, id) where status = 'queued';

create trigger messages_phone_number
  before insert or update of phone_number on public.messages
  for each row execute function public.check_phone_number();
create trigger messages_updated_at
  before update on public.messages
  for each row execute function public.set_updated_at();

alter table public.messages enable row level security;
revoke all on table public.messages from public, anon, authenticated;
grant select, insert, update, delete on table public.messages to service_role;

-- Identity sequences: only service_role inserts.
revoke all on sequence public.campaign_messages_id_seq from public, anon, authenticated;
revoke all on sequence public.scheduled_messages_id_seq from public, anon, authenticated;
revoke all on sequence public.messages_id_seq from public, anon, authenticated;
grant usage, select on sequence public.campaign_messages_id_seq to service_role;
grant usage, select on sequence public.scheduled_messages_id_seq to service_role;
grant usage, select on sequence public.messages_id_seq to service_role;
