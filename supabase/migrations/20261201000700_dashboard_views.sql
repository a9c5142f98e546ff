-- Views for people: the seed's two monitoring views with exactly its columns, plus what sends next and
-- today's counts for the Supabase dashboard.
--
-- Why views and not queries in docs: the dashboard's table editor shows views directly, and the seed's
-- `SELECT * FROM business_hours_status;` must work as written. Local times use the send window's time
-- zone (America/Los_Angeles by default, hence the seed's "_pst" names). All views are security_invoker,
-- so they never show a row the caller could not read from the table itself.

create view public.scheduled_messages_pst
with (security_invoker = true)
as
select s.customer_name,
       s.phone_number,
       (s.scheduled_for at time zone w.time_zone)::timestamp(0) as scheduled_for_pst,
       round((extract(epoch from (s.scheduled_for - statement_timestamp())) / 60)::numeric, 1) as minutes_until_send
  from public.scheduled_messages s
 cross join public.send_window w
 where w.id
   and s.status = 'SCH'
 order by s.scheduled_for, s.id;

comment on view public.scheduled_messages_pst is
  'Scheduled (SCH) messages in send-window local time (Pacific by default), soonest first.';

create view public.business_hours_status
with (security_invoker = true)
as
select public.is_business_hours(statement_timestamp()) as is_business_hours,
       (statement_timestamp() at time zone w.time_zone)::timestamp(0) as current_pacific_time,
       extract(hour from (statement_timestamp() at time zone w.time_zone))::integer as current_hour_pst,
       to_char(statement_timestamp() at time zone w.time_zone, 'FMDay') as day_name
  from public.send_window w
 where w.id;

comment on view public.business_hours_status is
  'Is the send window open now, and the current local time, hour and day name in its time zone.';

-- What sends next: SCH rows in time order, with the moment promotion can release each one (its time if
-- the recipient's effective window is open then, else that window's next opening; per-campaign pacing
-- and caps may hold it longer: dashboard_waiting says why), and the recipient's zones and local time
-- (issue 13: recipient window).
create view public.dashboard_next_sends
with (security_invoker = true)
as
select s.id,
       s.campaign_name,
       s.customer_name,
       s.phone_number,
       s.scheduled_for,
       (s.scheduled_for at time zone w.time_zone)::timestamp(0) as send_time_local,
       round((extract(epoch from (s.scheduled_for - statement_timestamp())) / 60)::numeric, 1) as minutes_away,
       case when public.recipient_window_open(s.phone_number, r.release_from) then r.release_from
            else public.recipient_next_window_opening(s.phone_number, r.release_from)
       end as earliest_release,
       -- Every bubble of an accepted text is non-empty (docs/state-machine.md), so bubbles = markers + 1.
       ((length(s.message_content) - length(replace(s.message_content, '[BUBBLE]', ''))) / 8 + 1)::integer
         as bubbles,
       p.time_zones as recipient_time_zones,
       (s.scheduled_for at time zone p.time_zones[1])::timestamp(0) as recipient_send_time_local,
       (statement_timestamp() at time zone p.time_zones[1])::timestamp(0) as recipient_local_time_now,
       public.recipient_window_open(s.phone_number, statement_timestamp()) as recipient_window_open_now,
       p.rule as recipient_rule
  from public.scheduled_messages s
 cross join public.send_window w
 cross join lateral (select greatest(s.scheduled_for, statement_timestamp()) as release_from) r
 cross join lateral public.recipient_profile(s.phone_number) p
 where w.id
   and s.status = 'SCH'
 order by s.scheduled_for, s.id;

comment on view public.dashboard_next_sends is
  'SCH messages soonest first, with local send time, the earliest moment the recipient''s window lets them '
  'out, and the recipient''s time zones, local time and rule.';

-- What is waiting and why: due SCH messages promotion has not released, and queued bubbles the claim does
-- not hand out yet. reason: blackout date, business window closed, recipient window closed (with the
-- recipient's local time), frequency cap, or campaign pacing (promotion or claim, catch_up_gap);
-- waiting_until: the next moment that reason lifts (null when it cannot be told, e.g. pacing behind others).
create view public.dashboard_waiting
with (security_invoker = true)
as
with due as (
  select s.id, s.campaign_name, s.customer_name, s.phone_number, s.status, s.scheduled_for,
         (select min(m.id) from public.messages m
           where m.scheduled_message_id = s.id and m.promotion = s.promotions and m.status = 'queued') as next_bubble,
         exists (select 1 from public.messages m
                  where m.scheduled_message_id = s.id and m.promotion = s.promotions and m.status = 'sent') as started
    from public.scheduled_messages s
   where (s.status = 'SCH' and s.scheduled_for <= statement_timestamp())
      or (s.status = 'queued' and not exists (select 1 from public.messages m
                                               where m.scheduled_message_id = s.id and m.status in ('sending', 'unknown')))
),
caps as (  -- the caps that apply to each due number (global and its rules), with how many it had in the period
  select d.id, c.max_messages, c.per_period,
         (select count(*) from public.scheduled_messages s2
           where s2.phone_number = d.phone_number and s2.queued_at > statement_timestamp() - c.per_period
             and s2.queued_at <= statement_timestamp()) as recent,
         (select s2.queued_at + c.per_period from public.scheduled_messages s2
           where s2.phone_number = d.phone_number and s2.queued_at > statement_timestamp() - c.per_period
             and s2.queued_at <= statement_timestamp()
           order by s2.queued_at offset greatest(0, (select count(*) from public.scheduled_messages s3
                                                      where s3.phone_number = d.phone_number
                                                        and s3.queued_at > statement_timestamp() - c.per_period
                                                        and s3.queued_at <= statement_timestamp()) - c.max_messages)
           limit 1) as free_at
    from due d
   cross join lateral public.recipient_profile(d.phone_number) p
   cross join lateral (
     select w.recipient_cap as max_messages, w.recipient_cap_period as per_period
       from public.send_window w where w.id and w.recipient_cap is not null
     union all
     select r.max_messages, r.per_period from public.recipient_rules r
      where r.rule = any (string_to_array(p.rule, ' + ')) and r.max_messages is not null
   ) c
   where d.status = 'SCH'
)
select d.id,
       d.campaign_name,
       d.customer_name,
       d.phone_number,
       d.status,
       d.scheduled_for,
       p.time_zones as recipient_time_zones,
       (statement_timestamp() at time zone p.time_zones[1])::timestamp(0) as recipient_local_time_now,
       case
         when b.name is not null then 'blackout date: ' || b.name
         when not public.is_business_hours(statement_timestamp()) then 'business window closed'
         when not public.recipient_window_open(d.phone_number, statement_timestamp())
              and not (d.status = 'queued' and d.started) then
           format('recipient window closed (%s local, %s)',
                  to_char(statement_timestamp() at time zone p.time_zones[1], 'Dy HH24:MI'), p.rule)
         when cap.id is not null then format('frequency cap: %s messages per %s', cap.max_messages, cap.per_period)
         else 'campaign pacing (send_window.catch_up_gap) or the next promotion/claim'
       end as reason,
       case
         when b.name is not null or not public.is_business_hours(statement_timestamp())
              or not public.recipient_window_open(d.phone_number, statement_timestamp())
           then public.recipient_next_window_opening(d.phone_number, statement_timestamp())
         when cap.id is not null then cap.free_at
       end as waiting_until
  from due d
 cross join lateral public.recipient_profile(d.phone_number) p
  left join public.blackout_dates b
    on b.day = (statement_timestamp() at time zone (select w.time_zone from public.send_window w where w.id))::date
  left join lateral (select c.* from caps c where c.id = d.id and c.recent >= c.max_messages
                      order by c.free_at desc nulls last limit 1) cap on true
 order by d.scheduled_for, d.id;

comment on view public.dashboard_waiting is
  'Due messages that wait (SCH not promoted, queued not claimed) and why: blackout date, business window '
  'closed, recipient window closed, frequency cap or pacing; waiting_until is when that reason lifts.';

-- Today (local date of the send window) per status: scheduled messages planned for today and their
-- bubbles, every status listed even at zero.
create view public.dashboard_today_counts
with (security_invoker = true)
as
with day as (
  select (statement_timestamp() at time zone w.time_zone)::date as local_date,
         ((statement_timestamp() at time zone w.time_zone)::date)::timestamp at time zone w.time_zone as day_start,
         (((statement_timestamp() at time zone w.time_zone)::date) + 1)::timestamp at time zone w.time_zone as day_end
    from public.send_window w
   where w.id
)
select d.local_date,
       st.status,
       (select count(*)
          from public.scheduled_messages s
         where s.status = st.status
           and s.scheduled_for >= d.day_start
           and s.scheduled_for < d.day_end)::integer as messages,
       (select count(*)
          from public.scheduled_messages s
          join public.messages m on m.scheduled_message_id = s.id
         where s.status = st.status
           and s.scheduled_for >= d.day_start
           and s.scheduled_for < d.day_end)::integer as bubbles
  from day d
 cross join (values (1, 'SCH'), (2, 'queued'), (3, 'sent'), (4, 'failed'), (5, 'cancelled')) as st(ord, status)
 order by st.ord;

comment on view public.dashboard_today_counts is
  'Scheduled messages planned for today (send-window local date) per status, with their bubble counts.';

-- What needs a person: messages that failed, were cancelled after part of them went out, or wait for a
-- decision about a bubble whose fate is unknown; the reason is the row's error_message.
create view public.dashboard_attention
with (security_invoker = true)
as
select s.id,
       s.campaign_name,
       s.customer_name,
       s.phone_number,
       s.status,
       case when s.status = 'queued' then 'outcome unknown: decide'
            when s.error_message like 'partially sent:%' then 'partially sent'
            else s.status end as problem,
       s.error_message,
       s.updated_at
  from public.scheduled_messages s
 where s.status = 'failed'
    or (s.status = 'cancelled' and s.error_message like 'partially sent:%')
    or (s.status = 'queued' and exists (select 1 from public.messages m
                                          where m.scheduled_message_id = s.id and m.status = 'unknown'))
 order by s.updated_at desc, s.id;

comment on view public.dashboard_attention is
  'Scheduled messages that need a person: failed, partially sent then cancelled, or waiting on an unknown bubble.';

revoke all on table public.scheduled_messages_pst from public, anon, authenticated;
revoke all on table public.dashboard_attention from public, anon, authenticated;
grant select on table public.dashboard_attention to service_role;
revoke all on table public.business_hours_status from public, anon, authenticated;
revoke all on table public.dashboard_next_sends from public, anon, authenticated;
revoke all on table public.dashboard_waiting from public, anon, authenticated;
grant select on table public.dashboard_waiting to service_role;
revoke all on table public.dashboard_today_counts from public, anon, authenticated;
grant select on table public.scheduled_messages_pst to service_role;
grant select on table public.business_hours_status to service_role;
grant select on table public.dashboard_next_sends to service_role;
grant select on table public.dashboard_today_counts to service_role;
