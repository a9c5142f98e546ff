-- A number whose zone phonenumbers does not know (a 555 test number, an unknown country code) uses the
-- business zone (send_window.time_zone), and says so in recipient_profile.
begin;
\ir ../_listener_fixture.psql
select plan(5);

select is((select p.time_zones from public.recipient_profile('+15555550123') p), array['America/Los_Angeles'],
  '+1 555: the business zone');
select matches((select p.source from public.recipient_profile('+15555550123') p), 'business zone',
  'its source says the business zone is used');
select is((select p.rule from public.recipient_profile('+15555550123') p), 'US', 'a NANP number gets the federal rule');
select is((select p.rule from public.recipient_profile('+99912345678') p), 'default',
  'a number of no known country gets the default rule');

update public.send_window set time_zone = 'America/New_York';
select is((select p.time_zones from public.recipient_profile('+15555550123') p), array['America/New_York'],
  'it follows the business zone when that changes');

select * from finish();
rollback;
