-- Per-weekday rules: Texas allows 9:00-21:00 Monday to Saturday but 12:00-21:00 on Sunday
-- (Tex. Bus. & Com. Code 301.051). With the business window open every day, a Texas number opens at
-- 12:00 Central on Sunday, 9:00 on Saturday; New York (federal) opens at 8:00 Eastern both days.
begin;
\ir ../_listener_fixture.psql
select plan(6);

update public.send_window set week_days = '{1,2,3,4,5,6,7}', opens_at = '05:00', closes_at = '20:00';

select is(public.recipient_window_open('+15125550123', '2025-11-09 11:59-06'), false,
  'Texas, Sunday 11:59 Central: closed');
select is(public.recipient_window_open('+15125550123', '2025-11-09 12:00-06'), true,
  'Texas, Sunday 12:00 Central: open');
select is(public.recipient_window_open('+15125550123', '2025-11-08 09:00-06'), true,
  'Texas, Saturday 9:00 Central: open');
select is(public.recipient_window_open('+12125550123', '2025-11-09 09:00-05'), true,
  'New York, Sunday 9:00 Eastern: open (federal rule)');
select is(public.recipient_next_window_opening('+15125550123', '2025-11-09 08:00-06'), '2025-11-09 12:00-06'::timestamptz,
  'Texas: the next opening after Sunday 8:00 is Sunday 12:00 Central');
select is(
  (select array_agg(w.opens_at order by w.opens_at)
     from public.recipient_windows(array['+15125550123'], '2025-11-08 00:00-06', '2025-11-10 00:00-06') w),
  array['2025-11-08 09:00-06', '2025-11-09 12:00-06']::timestamptz[],
  'recipient_windows: Saturday opens at 9:00, Sunday at 12:00 Central');

select * from finish();
rollback;
