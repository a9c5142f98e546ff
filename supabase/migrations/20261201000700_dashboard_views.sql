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
-- the window is open then, else the next opening; per-campaign pacing may add catch_up_gap steps).
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
       case when public.is_business_hours(greatest(s.scheduled_for, statement_timestamp()))
            then greatest(s.scheduled_for, statement_timestamp())
            else public.next_window_opening(greatest(s.scheduled_for, statement_timestamp()))
       end as earliest_release,
       -- Every bubble of an accepted text is non-empty (docs/state-machine.md), so bubbles = markers + 1.
       ((length(s.message_content) - length(replace(s.message_content, '[BUBBLE]', ''))) / 8 + 1)::integer
         as bubbles
  from public.scheduled_messages s
 cross join public.send_window w
 where w.id
   and s.status = 'SCH'
 order by s.scheduled_for, s.id;

comment on view public.dashboard_next_sends is
  'SCH messages soonest first, with local send time and the earliest moment the window lets them out.';

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
revoke all on table public.dashboard_today_counts from public, anon, authenticated;
grant select on table public.scheduled_messages_pst to service_role;
grant select on table public.business_hours_status to service_role;
grant select on table public.dashboard_next_sends to service_role;
grant select on table public.dashboard_today_counts to service_role;
