-- Delivery reports (issue 12): was a bubble delivered, not only accepted by the modem?
--
-- Why in SQL, and why this way: a modem answers AT+CMGS with an 8-bit message reference per part
-- (TP-MR); the status report (SMS-STATUS-REPORT) carries that reference, the recipient and two time
-- stamps. The reference wraps after 256 parts and each modem counts its own, so a report is matched to
-- the most recent part sent by THAT worker with THAT reference to THAT recipient before the report's
-- service-centre time stamp (within 7 days): the match self-hosted gateways get wrong (gammu "Failed to find
-- SMS for TPMR"). mark_bubble_sent records one sent_parts row per part from its comma-separated
-- modem_reference (internal.record_sent_parts, called there); record_status_report records every report
-- (matched or not, once) and moves the part, then the bubble. A bubble is delivered when all its parts
-- are; scheduled_message_deliveries shows when every bubble of a scheduled message was.
--
-- TP-ST (3GPP TS 23.040 9.2.3.15) -> status (docs/sql-listener-api.md has the table):
--   0x00-0x1F  transaction completed: delivered (0x01 forwarded unconfirmed, 0x02 replaced; 0x03-0x1F
--              reserved or SC-specific in the same group)                                   -> delivered
--   0x20-0x3F  temporary error, the centre still tries (not final)                          -> retrying
--   0x40-0x5F  permanent error (0x46: validity period expired -> expired)                   -> failed
--   0x60-0x7F  temporary error, the centre gave up (0x65: validity period expired -> expired) -> failed
--   0x80-0xFF  reserved: kept in status_reports, the part does not change                   -> null
-- A final status (delivered, failed, expired) is never replaced by a later report of the same part.

create table public.sent_parts (
  id bigint generated always as identity primary key,
  message_id bigint not null references public.messages (id) on delete cascade,
  part_seq integer not null,
  part_count integer not null,
  worker_id text not null,
  reference integer not null,
  phone_number text not null,
  sent_at timestamptz not null,
  delivery_status text not null default 'pending',
  tp_status integer,
  discharge_time timestamptz,
  reported_at timestamptz,
  status_report_id bigint,
  constraint sent_parts_position check (part_seq between 1 and part_count and part_count between 1 and 255),
  constraint sent_parts_reference_range check (reference between 0 and 255),
  constraint sent_parts_delivery_status_check
    check (delivery_status in ('pending', 'retrying', 'delivered', 'failed', 'expired'))
);

comment on table public.sent_parts is
  'One row per SMS part the modem accepted (+CMGS reference), recorded by mark_bubble_sent; delivery reports '
  'are matched to these rows by worker, reference, recipient and time.';

create unique index sent_parts_position_key on public.sent_parts (message_id, part_seq);
create index sent_parts_match_idx on public.sent_parts (worker_id, reference, sent_at);

alter table public.sent_parts enable row level security;
-- Read-only for service_role (Supabase's default privileges would give it ALL).
revoke all on table public.sent_parts from public, anon, authenticated, service_role;
grant select on table public.sent_parts to service_role;
revoke all on sequence public.sent_parts_id_seq from public, anon, authenticated, service_role;

create table public.status_reports (
  id bigint generated always as identity primary key,
  worker_id text not null,
  reference integer,
  recipient text,
  service_centre_time timestamptz,
  discharge_time timestamptz,
  tp_status integer,
  delivery_status text,
  raw_pdu text not null,
  stored_at timestamptz not null default statement_timestamp(),
  sent_part_id bigint,
  message_id bigint,
  constraint status_reports_lengths check (char_length(worker_id) between 1 and 100 and char_length(recipient) <= 40
                                           and char_length(raw_pdu) <= 2000),
  constraint status_reports_delivery_status_check
    check (delivery_status in ('retrying', 'delivered', 'failed', 'expired'))
);

comment on table public.status_reports is
  'Every delivery report a listener read, once (matched or not): message_id null = it matched no sent part '
  '(kept, not dropped). delivery_status is the TP-ST value mapped (null for reserved values).';

-- A re-read report (a crash between storing and deleting it) is the same row.
create unique index status_reports_natural_key on public.status_reports
  (worker_id, reference, recipient, service_centre_time, discharge_time, tp_status) nulls not distinct;
create index status_reports_message_idx on public.status_reports (message_id) where message_id is not null;

alter table public.status_reports enable row level security;
-- Read-only for service_role (Supabase's default privileges would give it ALL).
revoke all on table public.status_reports from public, anon, authenticated, service_role;
grant select on table public.status_reports to service_role;
revoke all on sequence public.status_reports_id_seq from public, anon, authenticated, service_role;

create trigger sent_parts_guard before insert or update on public.sent_parts
  for each row execute function internal.inbound_refuse_foreign_write('report');
create trigger status_reports_guard before insert or update or delete on public.status_reports
  for each row execute function internal.inbound_refuse_foreign_write('report');
create trigger status_reports_refuse_truncate before truncate on public.status_reports
  for each statement execute function internal.refuse_truncate();

-- TP-ST -> delivery status (the table at the top of this file).
create function internal.tp_status_delivery(status integer)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case
    when $1 between 0 and 31 then 'delivered'
    when $1 between 32 and 63 then 'retrying'
    when $1 in (70, 101) then 'expired'
    when $1 between 64 and 127 then 'failed'
  end
$$;

-- Called by mark_bubble_sent (writer listener): one sent_parts row per reference of the bubble's
-- modem_reference ("12" or "12,13,14", in part order) and delivery_status pending. A reference that is
-- not a number 0-255 (a modem in text mode that printed something else) records nothing: the bubble's
-- delivery_status stays null (unknowable).
create function internal.record_sent_parts(bubble public.messages)
returns public.messages
language plpgsql
volatile
set search_path = ''
set sms.writer = 'report'
as $$
declare
  v_refs text[];
  v_row public.messages;
begin
  v_refs := pg_catalog.string_to_array(pg_catalog.regexp_replace(coalesce(bubble.modem_reference, ''), '\s', '', 'g'), ',');
  if cardinality(v_refs) is null or cardinality(v_refs) = 0 or cardinality(v_refs) > 255
     or exists (select 1 from unnest(v_refs) r where r !~ '^[0-9]{1,3}$' or r::integer > 255) then
    return bubble;
  end if;
  insert into public.sent_parts (message_id, part_seq, part_count, worker_id, reference, phone_number, sent_at)
  select bubble.id, r.n::integer, cardinality(v_refs), bubble.worker_id, r.ref::integer, bubble.phone_number, bubble.sent_at
    from unnest(v_refs) with ordinality as r(ref, n)
  on conflict (message_id, part_seq) do nothing;
  update public.messages m set delivery_status = 'pending', delivered_at = null
   where m.id = bubble.id
  returning m.* into v_row;
  return v_row;
end
$$;

create function public.record_status_report(worker_id text, reference integer, recipient text,
                                            service_centre_time timestamptz, discharge_time timestamptz,
                                            status integer, raw_pdu text)
returns table (report_id bigint, message_id bigint, delivery_status text)
language plpgsql
volatile
security definer
set search_path = ''
set sms.writer = 'report'
as $$
#variable_conflict use_column
declare
  v_now constant timestamptz := pg_catalog.statement_timestamp();
  v_bound constant interval := interval '7 days';
  v_skew constant interval := interval '10 minutes';  -- the network's clock against the database's
  v_worker constant text := pg_catalog.btrim(coalesce(record_status_report.worker_id, ''));
  v_recipient constant text := nullif(pg_catalog.left(pg_catalog.btrim(coalesce(record_status_report.recipient, '')), 40), '');
  v_digits constant text := pg_catalog.regexp_replace(coalesce(record_status_report.recipient, ''), '[^0-9]', '', 'g');
  v_ref constant integer := case when record_status_report.reference between 0 and 255 then record_status_report.reference end;
  v_scts constant timestamptz := case when internal.moment_problem(record_status_report.service_centre_time) is null
                                      then record_status_report.service_centre_time end;
  v_dt constant timestamptz := case when internal.moment_problem(record_status_report.discharge_time) is null
                                    then record_status_report.discharge_time end;
  v_status constant integer := case when record_status_report.status between 0 and 255 then record_status_report.status end;
  v_mapped constant text := internal.tp_status_delivery(v_status);
  v_report public.status_reports;
  v_part public.sent_parts;
  v_anchor timestamptz;
begin
  if v_worker = '' or char_length(v_worker) > 100 then
    raise exception 'record_status_report: worker_id must be 1 to 100 characters' using errcode = '22023';
  end if;
  perform pg_catalog.pg_advisory_xact_lock(1397572438, pg_catalog.hashtext(v_worker || ':' || coalesce(v_ref, -1)));
  select * into v_report
    from public.status_reports r
   where r.worker_id = v_worker and r.reference is not distinct from v_ref and r.recipient is not distinct from v_recipient
     and r.service_centre_time is not distinct from v_scts and r.discharge_time is not distinct from v_dt
     and r.tp_status is not distinct from v_status;
  if found then
    report_id := v_report.id;
    message_id := v_report.message_id;
    delivery_status := coalesce((select m.delivery_status from public.messages m where m.id = v_report.message_id),
                                v_report.delivery_status);
    return next;
    return;
  end if;

  -- The part: this worker, this reference, this recipient (digits; a report may give the number in
  -- national form), the most recent sent before the report's time stamp (or now), within the bound.
  if v_ref is not null then
    foreach v_anchor in array array[least(coalesce(v_scts, v_now), v_now) + v_skew, v_now] loop
      select * into v_part
        from public.sent_parts p
       where p.worker_id = v_worker and p.reference = v_ref
         and p.sent_at <= v_anchor and p.sent_at > v_anchor - v_bound
         and (char_length(v_digits) < 7
              or pg_catalog.right(pg_catalog.regexp_replace(p.phone_number, '[^0-9]', '', 'g'), char_length(v_digits)) = v_digits)
       order by p.sent_at desc, p.id desc
       limit 1;
      exit when found;
    end loop;
  end if;

  insert into public.status_reports (worker_id, reference, recipient, service_centre_time, discharge_time, tp_status,
                                     delivery_status, raw_pdu, sent_part_id, message_id)
  values (v_worker, v_ref, v_recipient, v_scts, v_dt, v_status, v_mapped,
          pg_catalog.left(pg_catalog.upper(pg_catalog.regexp_replace(coalesce(record_status_report.raw_pdu, ''), '\s', '', 'g')), 2000),
          v_part.id, v_part.message_id)
  returning * into v_report;

  if v_part.id is not null and v_mapped is not null and v_part.delivery_status in ('pending', 'retrying') then
    update public.sent_parts p
       set delivery_status = v_mapped, tp_status = v_status, discharge_time = v_dt, reported_at = v_now,
           status_report_id = v_report.id
     where p.id = v_part.id;
    -- The bubble: failed or expired if a part is; delivered when every part is; else retrying or pending.
    update public.messages m
       set delivery_status = x.status,
           delivered_at = case when x.status = 'delivered' then x.last_delivery end
      from (select case when bool_or(p.delivery_status = 'failed') then 'failed'
                        when bool_or(p.delivery_status = 'expired') then 'expired'
                        when bool_and(p.delivery_status = 'delivered') then 'delivered'
                        when bool_or(p.delivery_status = 'retrying') then 'retrying'
                        else 'pending' end as status,
                   max(coalesce(p.discharge_time, p.reported_at)) as last_delivery
              from public.sent_parts p
             where p.message_id = v_part.message_id) x
     where m.id = v_part.message_id;
  end if;

  report_id := v_report.id;
  message_id := v_report.message_id;
  delivery_status := coalesce((select m.delivery_status from public.messages m where m.id = v_report.message_id),
                              v_mapped);
  return next;
end
$$;

comment on function public.record_status_report(text, integer, text, timestamptz, timestamptz, integer, text) is
  'Stores one delivery report (idempotent) and matches it to the part it reports on (worker, reference, recipient, '
  'most recent before its time stamp, within 7 days); message_id null = matched nothing (kept).';

-- When every bubble of a scheduled message was delivered. Per bubble position, its latest sent row
-- counts (a retry's new bubble replaces an old one).
create view public.scheduled_message_deliveries
with (security_invoker = true)
as
select s.id,
       s.campaign_name,
       s.customer_name,
       s.phone_number,
       s.status,
       s.sent_at,
       coalesce(max(b.bubble_count), 0)::integer as bubbles,
       count(*) filter (where b.delivery_status = 'delivered')::integer as bubbles_delivered,
       case when s.status <> 'sent' or count(b.id) = 0 then null
            when bool_or(b.delivery_status in ('failed', 'expired')) then 'failed'
            when bool_and(b.delivery_status = 'delivered') and count(b.id) = max(b.bubble_count) then 'delivered'
            when bool_or(b.delivery_status is null) then null
            when bool_or(b.delivery_status = 'retrying') then 'retrying'
            else 'pending' end as delivery_status,
       case when s.status = 'sent' and bool_and(b.delivery_status = 'delivered') and count(b.id) = max(b.bubble_count)
            then max(b.delivered_at) end as delivered_at
  from public.scheduled_messages s
  left join lateral (
    select distinct on (m.bubble_index) m.id, m.bubble_count, m.delivery_status, m.delivered_at
      from public.messages m
     where m.scheduled_message_id = s.id and m.status = 'sent'
     order by m.bubble_index, m.id desc) b on true
 where s.status in ('queued', 'sent', 'failed', 'cancelled')
 group by s.id;

comment on view public.scheduled_message_deliveries is
  'Per scheduled message that went out (at least partly): bubbles delivered of how many, delivery_status '
  '(delivered when every bubble was, failed if one failed or expired, null when a bubble has no usable modem '
  'reference) and delivered_at (the last bubble''s delivery).';

revoke all on table public.scheduled_message_deliveries from public, anon, authenticated;
grant select on table public.scheduled_message_deliveries to service_role;

revoke all on function public.record_status_report(text, integer, text, timestamptz, timestamptz, integer, text)
  from public, anon, authenticated;
grant execute on function public.record_status_report(text, integer, text, timestamptz, timestamptz, integer, text)
  to service_role;
revoke all on function internal.tp_status_delivery(integer) from public, anon, authenticated, service_role;
revoke all on function internal.record_sent_parts(public.messages) from public, anon, authenticated, service_role;
