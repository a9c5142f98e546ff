-- 17:30 Pacific is 20:30 Eastern: Florida (8:00-20:00) and Connecticut (9:00-20:00) are closed, New
-- York (federal, until 21:00) is open, and so is Texas (19:30 Central, until 21:00); also on DST weeks.
begin;
\ir ../_listener_fixture.psql
select plan(16);

select is(public.recipient_window_open(n.phone, pg_temp.pt(d.day + time '17:30')), n.open,
          format('%s at 17:30 Pacific on %s: %s', n.place, d.day, case when n.open then 'open' else 'closed' end))
  from (values (date '2025-11-05'), (date '2025-03-10'), (date '2025-11-03'), (date '2026-07-15')) d(day)
 cross join (values ('+13055550123', 'Florida', false),
                    ('+12035550123', 'Connecticut', false),
                    ('+12125550123', 'New York', true),
                    ('+15125550123', 'Texas', true)) n(phone, place, open)
 order by d.day, n.phone;

select * from finish();
rollback;
