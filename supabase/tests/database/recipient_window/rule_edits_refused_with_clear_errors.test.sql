-- The rules, number zones and blackout dates are edited in the dashboard: bad values are refused with
-- an error that names the row and the problem.
begin;
\ir ../_listener_fixture.psql
select plan(10);

select throws_like($$insert into public.recipient_rule_hours (rule, iso_days, opens_at, closes_at)
                     values ('US-TX', '{7}', '10:00', '20:00')$$,
  '%rule US-TX%ISO day 7 already has hours in row%', 'a second row for Texas Sunday is refused, naming the clash');
select throws_like($$update public.recipient_rule_hours set opens_at = '21:00' where rule = 'US-FL'$$,
  '%recipient_rule_hours row % (rule US-FL): opens_at 21:00:00 must be earlier than closes_at 20:00:00%',
  'opening after closing is refused');
select throws_like($$insert into public.recipient_rule_hours (rule, iso_days, opens_at, closes_at)
                     values ('US', '{8}', '08:00', '21:00')$$,
  '%iso_days must list distinct ISO week days 1 (Mon) to 7 (Sun), got {8}%', 'week day 8 is refused');
select throws_like($$insert into public.recipient_rules (rule, description, source) values ('florida', 'x', 'y')$$,
  '%recipient_rules row "florida": rule must be "default" or an ISO 3166 region%', 'a rule key that is no region is refused');
select throws_like($$update public.recipient_rules set source = ' ' where rule = 'US-CT'$$,
  '%recipient_rules row "US-CT": description and source must not be empty%', 'a rule without source is refused');
select throws_like($$update public.recipient_rules set max_messages = 0 where rule = 'US-FL'$$,
  '%recipient_rules row "US-FL": the cap must be 1 to 1000 messages%', 'a cap of 0 is refused');
select throws_like($$delete from public.recipient_rules where rule = 'default'$$,
  '%recipient_rules row "default": cannot delete it%', 'the default rule cannot be deleted');
select throws_like($$update public.recipient_number_prefixes set time_zones = '{Mars/Olympus}' where prefix = '1212'$$,
  '%recipient_number_prefixes row "1212": time zone "Mars/Olympus" is not a known IANA time zone name%',
  'an unknown zone is refused');
select throws_like($$insert into public.blackout_dates (day, name) values ('2025-12-25', '  ')$$,
  '%blackout_dates row 2025-12-25: name must be 1 to 200 characters%', 'a blackout date without a name is refused');
select lives_ok($$insert into public.recipient_rules (rule, description, source) values ('CA', 'Canada: test', 'CRTC test');
                  insert into public.recipient_rule_hours (rule, iso_days, opens_at, closes_at)
                  values ('CA', '{1,2,3,4,5}', '09:00', '21:30')$$,
  'a person can add a rule for a country');

select * from finish();
rollback;
