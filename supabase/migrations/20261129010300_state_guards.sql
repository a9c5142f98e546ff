-- The state machines of campaign_messages and scheduled_messages, enforced by triggers.
--
-- Why triggers: people edit these rows in the Supabase dashboard and the SQL editor (the seed's
-- management snippets are plain UPDATEs). A trigger is the only place that sees every change, so an
-- impossible change (editing a text already handed to the modem, cancelling a sent one, moving
-- backwards) is refused with a message that names the row and the reason, whoever made it, and the
-- follow-up changes (cancelling unsent bubbles, the campaign row following its scheduled message)
-- happen in the same transaction.

-- Allowed status moves -------------------------------------------------------------------------------

create function public.scheduled_status_transition_allowed(from_status text, to_status text)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select $1 = $2 or case $1
    when 'SCH' then $2 in ('queued', 'failed', 'cancelled')
    when 'queued' then $2 in ('sent', 'failed', 'cancelled')
    when 'failed' then $2 in ('SCH', 'cancelled')
    else false
  end
$$;

comment on function public.scheduled_status_transition_allowed(text, text) is
  'scheduled_messages: SCH -> queued | failed | cancelled; queued -> sent | failed | cancelled; '
  'failed -> SCH (retry) | cancelled; sent and cancelled are final.';

create function public.campaign_status_transition_allowed(from_status text, to_status text)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select $1 = $2 or case $1
    when 'SUG' then $2 in ('APR', 'cancelled')
    when 'APR' then $2 in ('SUG', 'SCH', 'cancelled')
    when 'SCH' then $2 in ('sent', 'failed', 'cancelled')
    when 'failed' then $2 in ('SCH', 'APR', 'cancelled')
    else false
  end
$$;

comment on function public.campaign_status_transition_allowed(text, text) is
  'campaign_messages: SUG -> APR | cancelled; APR -> SUG | SCH | cancelled; SCH -> sent | failed | cancelled; '
  'failed -> SCH | APR | cancelled; sent and cancelled are final.';

-- scheduled_messages ----------------------------------------------------------------------------------

create function public.scheduled_messages_guard()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_edited text[] := '{}';
begin
  if new.id is distinct from old.id then
    raise exception 'scheduled_messages row %: the id cannot change', old.id
      using errcode = 'integrity_constraint_violation';
  end if;

  if new.status is distinct from old.status
     and not public.scheduled_status_transition_allowed(old.status, new.status) then
    if old.status = 'sent' and new.status = 'cancelled' then
      raise exception 'scheduled_messages row %: cannot cancel, it was already sent (sent_at %)', old.id,
        coalesce(old.sent_at::text, 'unknown')
        using errcode = 'check_violation', constraint = 'scheduled_messages_state_machine';
    elsif old.status in ('sent', 'cancelled') then
      raise exception 'scheduled_messages row %: cannot move from % to %: % is final', old.id, old.status,
        new.status, old.status
        using errcode = 'check_violation', constraint = 'scheduled_messages_state_machine',
              hint = 'Insert a new scheduled message to send the text again.';
    elsif old.status = 'queued' and new.status = 'SCH' then
      raise exception 'scheduled_messages row %: cannot move from queued back to SCH: its bubbles are '
        'already handed to the listener', old.id
        using errcode = 'check_violation', constraint = 'scheduled_messages_state_machine',
              hint = 'Cancel it (status = ''cancelled'') and insert a new scheduled message.';
    else
      raise exception 'scheduled_messages row %: cannot move from % to %', old.id, old.status, new.status
        using errcode = 'check_violation', constraint = 'scheduled_messages_state_machine',
              hint = 'Allowed: SCH -> queued|failed|cancelled, queued -> sent|failed|cancelled, '
                     'failed -> SCH (retry)|cancelled.';
    end if;
  end if;

  if new.message_content is distinct from old.message_content then
    v_edited := v_edited || 'message_content'::text;
  end if;
  if new.scheduled_for is distinct from old.scheduled_for then
    v_edited := v_edited || 'scheduled_for'::text;
  end if;
  if new.phone_number is distinct from old.phone_number then
    v_edited := v_edited || 'phone_number'::text;
  end if;
  if new.campaign_message_id is distinct from old.campaign_message_id then
    v_edited := v_edited || 'campaign_message_id'::text;
  end if;
  if cardinality(v_edited) > 0
     and not (old.status = 'SCH' or (old.status = 'failed' and new.status = 'SCH')) then
    raise exception 'scheduled_messages row %: cannot change % while it is %', old.id,
      array_to_string(v_edited, ', '), old.status
      using errcode = 'check_violation', constraint = 'scheduled_messages_edit_only_when_scheduled',
            hint = 'Only SCH rows can be edited; fix a failed row while resetting it to SCH.';
  end if;

  if new.scheduled_for is distinct from old.scheduled_for and new.scheduled_for < now() then
    raise exception 'scheduled_messages row %: cannot reschedule into the past (% is before now, %)', old.id,
      new.scheduled_for, now()
      using errcode = 'check_violation', constraint = 'scheduled_messages_no_reschedule_into_past',
            hint = 'Pick a time from now on; now() sends it at the next promotion.';
  end if;

  if old.status = 'failed' and new.status = 'SCH' then
    -- A retry: the row starts over; the bubbles of the earlier attempt are reused at promotion.
    new.error_message := null;
    new.queued_at := null;
    new.sent_at := null;
  end if;
  return new;
end
$$;

create trigger scheduled_messages_guard
  before update on public.scheduled_messages
  for each row execute function public.scheduled_messages_guard();

-- Follow-ups of a status change: unsent bubbles stop, the campaign row follows.
create function public.scheduled_messages_follow()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and new.status in ('cancelled', 'failed') and old.status = 'queued' then
    update public.messages m
       set status = 'cancelled',
           error_message = format('scheduled message %s was %s before this bubble was sent', new.id, new.status)
     where m.scheduled_message_id = new.id
       and m.status = 'queued';
  end if;

  if new.campaign_message_id is not null
     and new.status in ('SCH', 'sent', 'failed', 'cancelled')
     and (tg_op = 'INSERT' or new.status is distinct from old.status) then
    update public.campaign_messages c
       set status = new.status
     where c.id = new.campaign_message_id
       and c.status is distinct from new.status
       and public.campaign_status_transition_allowed(c.status, new.status);
  end if;
  return null;
end
$$;

create trigger scheduled_messages_follow_update
  after update of status on public.scheduled_messages
  for each row execute function public.scheduled_messages_follow();
create trigger scheduled_messages_follow_insert
  after insert on public.scheduled_messages
  for each row execute function public.scheduled_messages_follow();

-- campaign_messages -----------------------------------------------------------------------------------

create function public.campaign_messages_guard()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_edited text[] := '{}';
begin
  if new.id is distinct from old.id then
    raise exception 'campaign_messages row %: the id cannot change', old.id
      using errcode = 'integrity_constraint_violation';
  end if;
  if new.status is distinct from old.status
     and not public.campaign_status_transition_allowed(old.status, new.status) then
    raise exception 'campaign_messages row %: cannot move from % to %', old.id, old.status, new.status
      using errcode = 'check_violation', constraint = 'campaign_messages_state_machine',
            hint = 'Allowed: SUG -> APR|cancelled, APR -> SUG|SCH|cancelled, SCH -> sent|failed|cancelled, '
                   'failed -> SCH|APR|cancelled; sent and cancelled are final.';
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
      using errcode = 'check_violation', constraint = 'campaign_messages_edit_only_before_scheduling',
            hint = 'Edit the scheduled_messages row while it is SCH, or cancel it and schedule a new one.';
  end if;

  if new.status = 'APR' and old.status is distinct from 'APR' and new.approved_at is null then
    new.approved_at := now();
  end if;
  return new;
end
$$;

create trigger campaign_messages_guard
  before update on public.campaign_messages
  for each row execute function public.campaign_messages_guard();

-- Cancelling the campaign row cancels its scheduled message that has not been sent yet.
create function public.campaign_messages_follow()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.status = 'cancelled' and old.status = 'SCH' then
    update public.scheduled_messages s
       set status = 'cancelled'
     where s.campaign_message_id = new.id
       and s.status in ('SCH', 'queued');
  end if;
  return null;
end
$$;

create trigger campaign_messages_follow
  after update of status on public.campaign_messages
  for each row execute function public.campaign_messages_follow();

revoke execute on function public.scheduled_status_transition_allowed(text, text) from public, anon, authenticated;
revoke execute on function public.campaign_status_transition_allowed(text, text) from public, anon, authenticated;
revoke all on function public.scheduled_messages_guard() from public, anon, authenticated;
revoke all on function public.scheduled_messages_follow() from public, anon, authenticated;
revoke all on function public.campaign_messages_guard() from public, anon, authenticated;
revoke all on function public.campaign_messages_follow() from public, anon, authenticated;
grant execute on function public.scheduled_status_transition_allowed(text, text) to service_role;
grant execute on function public.campaign_status_transition_allowed(text, text) to service_role;
