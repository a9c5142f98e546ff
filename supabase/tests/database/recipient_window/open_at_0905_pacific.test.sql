-- 9:05 Pacific is 7:05 in Hawaii in winter and 6:05 in summer (Hawaii keeps no DST): closed under the
-- federal 8:00. Alaska's area code 907 spans Adak (one hour behind Anchorage): closed too, since the
-- window must hold in every zone of the number. New York (12:05) and California are open.
begin;
\ir ../_listener_fixture.psql
select plan(16);

select is(public.recipient_window_open(n.phone, pg_temp.pt(d.day + time '09:05')), n.open,
          format('%s at 09:05 Pacific on %s: %s', n.place, d.day, case when n.open then 'open' else 'closed' end))
  from (values (date '2025-11-05'), (date '2025-03-10'), (date '2025-11-03'), (date '2026-07-15')) d(day)
 cross join (values ('+18085550123', 'Hawaii', false),
                    ('+19075550123', 'Alaska (Adak and Anchorage)', false),
                    ('+12125550123', 'New York', true),
                    ('+12095550123', 'California', true)) n(phone, place, open)
 order by d.day, n.phone;

select * from finish();
rollback;
