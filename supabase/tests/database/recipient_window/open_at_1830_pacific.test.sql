-- 18:30 Pacific is 21:30 Eastern: New York (federal 8:00-21:00) and Florida (8:00-20:00) are closed,
-- California and Hawaii open. The same in summer and on the weeks the clocks change (US DST starts
-- 2025-03-09 and ends 2025-11-02), whichever offset Pacific has that day.
begin;
\ir ../_listener_fixture.psql
select plan(16);

select is(public.recipient_window_open(n.phone, pg_temp.pt(d.day + time '18:30')), n.open,
          format('%s at 18:30 Pacific on %s (%s): %s', n.place, d.day, d.what,
                 case when n.open then 'open' else 'closed' end))
  from (values (date '2025-11-05', 'Wednesday, standard time'),
               (date '2025-03-10', 'Monday after DST started'),
               (date '2025-11-03', 'Monday after DST ended'),
               (date '2026-07-15', 'Wednesday, summer time')) d(day, what)
 cross join (values ('+12125550123', 'New York', false),
                    ('+13055550123', 'Florida', false),
                    ('+12095550123', 'California', true),
                    ('+18085550123', 'Hawaii', true)) n(phone, place, open)
 order by d.day, n.phone;

select * from finish();
rollback;
