-- The seed's monitoring views have exactly the seed's columns, and run with the caller's rights.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(8);

select columns_are('public', 'scheduled_messages_pst',
  array['customer_name', 'phone_number', 'scheduled_for_pst', 'minutes_until_send'],
  'scheduled_messages_pst has the seed''s columns');
select columns_are('public', 'business_hours_status',
  array['is_business_hours', 'current_pacific_time', 'current_hour_pst', 'day_name'],
  'business_hours_status has the seed''s columns');
select is((select count(*)::integer from public.business_hours_status), 1, 'business_hours_status has one row');
select is((select current_hour_pst from public.business_hours_status),
          extract(hour from now() at time zone 'America/Los_Angeles')::integer,
          'current_hour_pst is the Pacific hour');
select is((select day_name from public.business_hours_status),
          to_char(now() at time zone 'America/Los_Angeles', 'FMDay'), 'day_name is the Pacific day name');

insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
values ('+12095550931', 'Pgtap View', 'hello', '2031-07-01 14:31:00-07', 'pgtap-view');
select is((select scheduled_for_pst from public.scheduled_messages_pst where customer_name = 'Pgtap View'),
          '2031-07-01 14:31:00'::timestamp, 'scheduled_for_pst is the Pacific wall-clock time (PDT)');

select is_empty($$
  select c.relname from pg_class c
   where c.relnamespace = 'public'::regnamespace and c.relkind = 'v'
     and not coalesce('security_invoker=true' = any (c.reloptions), false)
$$, 'every view in public is security_invoker');
select columns_are('public', 'dashboard_today_counts', array['local_date', 'status', 'messages', 'bubbles'],
  'dashboard_today_counts columns');

select * from finish();
rollback;
