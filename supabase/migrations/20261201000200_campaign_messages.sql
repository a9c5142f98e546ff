-- campaign_messages: what a person approves. SUG (suggested) -> APR (approved) -> SCH -> sent | failed |
-- cancelled; the moves and their writers are rows of internal.transitions (docs/state-machine.md).
--
-- Why the guard: approval is the promise that nothing a person did not read goes out. Once a text is
-- scheduled it follows its scheduled message (the follow-up triggers of scheduled_messages are the only
-- writer of SCH, sent, failed and its cancellation), and its recipient and text can no longer change.

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
  constraint campaign_messages_campaign_name_length check (length(campaign_name) between 1 and 200),
  constraint campaign_messages_customer_name_length check (length(customer_name) <= 200),
  constraint campaign_messages_message_content_length check (length(message_content) <= 16000)
);

comment on table public.campaign_messages is
  'Campaign texts a person approves: SUG -> APR -> SCH -> sent | failed | cancelled (docs/state-machine.md).';

-- Importing the same campaign file twice inserts nothing new.
create unique index campaign_messages_import_key
  on public.campaign_messages (campaign_name, phone_number, md5(message_content));
create index campaign_messages_approved_idx on public.campaign_messages (campaign_name, id)
  where status = 'APR';

alter table public.campaign_messages enable row level security;
revoke all on table public.campaign_messages from public, anon, authenticated;
grant select, insert, update, delete on table public.campaign_messages to service_role;
-- Supabase's default privileges give service_role ALL; TRUNCATE skips the row guards (invariants c, d).
revoke truncate, references, trigger on table public.campaign_messages from service_role;
revoke all on sequence public.campaign_messages_id_seq from public, anon, authenticated;
grant usage, select on sequence public.campaign_messages_id_seq to service_role;

-- Values: a recipient, a sendable text, a name; refused with the row and the problem named.
create function internal.campaign_messages_check_values()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_problem text;
begin
  v_problem := internal.phone_problem(new.phone_number);
  if v_problem is not null then
    perform internal.refuse_value('campaign_messages', new.id, 'phone_number', v_problem,
      'Write it as + country code and digits, no spaces, e.g. +12095550123.');
  end if;
  v_problem := internal.bubble_problem(new.message_content);
  if v_problem is not null then
    perform internal.refuse_value('campaign_messages', new.id, 'message_content', v_problem,
      'Split bubbles with exactly [BUBBLE]; every bubble needs visible text (docs/state-machine.md).');
  end if;
  if new.campaign_name is null or pg_catalog.btrim(new.campaign_name) = '' then
    perform internal.refuse_value('campaign_messages', new.id, 'campaign_name', 'the campaign name is empty',
      'Name the campaign, e.g. spring-sale.');
  end if;
  -- Timestamps are finite, years 2000-2199 (invariant g): every view can show them.
  v_problem := internal.moment_problem(new.approved_at);
  if v_problem is not null then
    perform internal.refuse_value('campaign_messages', new.id, 'approved_at', v_problem,
      'Leave it out: approving (status APR) sets it.');
  end if;
  v_problem := internal.moment_problem(new.created_at);
  if v_problem is not null then
    perform internal.refuse_value('campaign_messages', new.id, 'created_at', v_problem,
      'Leave it out: the insert sets it.');
  end if;
  if tg_op = 'INSERT' then
    perform internal.check_transition('campaign_messages', new.id, '(insert)', new.status);
    if new.status = 'APR' and new.approved_at is null then
      new.approved_at := pg_catalog.statement_timestamp();
    end if;
  end if;
  return new;
end
$$;

create trigger campaign_messages_check_values
  before insert or update of phone_number, message_content, campaign_name, approved_at on public.campaign_messages
  for each row execute function internal.campaign_messages_check_values();

-- Moves and edits.
create function internal.campaign_messages_guard()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_edited text[] := '{}';
begin
  if new.id is distinct from old.id or new.created_at is distinct from old.created_at then
    raise exception 'campaign_messages row %: its id and created_at cannot change', old.id
      using errcode = 'object_not_in_prerequisite_state';
  end if;
  if new.status is distinct from old.status then
    perform internal.check_transition('campaign_messages', old.id, old.status, new.status);
  end if;
  if new.message_content is distinct from old.message_content then
    v_edited := v_edited || 'message_content'::text;
  end if;
  if new.phone_number is distinct from old.phone_number then
    v_edited := v_edited || 'phone_number'::text;
  end if;
  if new.campaign_name is distinct from old.campaign_name then
    v_edited := v_edited || 'campaign_name'::text;
  end if;
  if cardinality(v_edited) > 0 and old.status not in ('SUG', 'APR', 'failed') then
    raise exception 'campaign_messages row %: cannot change % while it is %', old.id,
      array_to_string(v_edited, ', '), old.status
      using errcode = 'object_not_in_prerequisite_state',
            hint = 'Edit the scheduled_messages row while it is SCH, or cancel it and schedule a new one.';
  end if;
  if cardinality(v_edited) > 0 and old.status = 'APR' and new.status = 'APR' then
    -- A changed text is a new text: it needs a new approval.
    new.status := 'SUG';
    new.approved_at := null;
  end if;
  if new.status = 'APR' and old.status is distinct from 'APR' then
    new.approved_at := pg_catalog.statement_timestamp();
  end if;
  return new;
end
$$;

create trigger campaign_messages_guard
  before update on public.campaign_messages
  for each row execute function internal.campaign_messages_guard();

create trigger campaign_messages_updated_at
  before update on public.campaign_messages
  for each row execute function internal.set_updated_at();

revoke all on function internal.campaign_messages_check_values() from public, anon, authenticated, service_role;
revoke all on function internal.campaign_messages_guard() from public, anon, authenticated, service_role;
