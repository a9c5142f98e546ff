-- The send window row is validated: a bad time zone, a closing before opening, or deleting it is refused.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(7);

select throws_ok($$update public.send_window set time_zone = 'America/Los_Angles'$$, '22023',
  'send_window.time_zone "America/Los_Angles" is not a known IANA time zone name',
  'a misspelt time zone name is refused with its name in the message');
select throws_ok($$update public.send_window set opens_at = '21:00'$$, '23514', null,
  'opening after closing is refused');
select throws_ok($$update public.send_window set week_days = '{0,1}'$$, '23514', null,
  'a week day outside ISO 1..7 is refused');
select throws_like($$delete from public.send_window$$, '%cannot be deleted%', 'the settings row cannot be deleted');
select throws_ok($$insert into public.send_window (id) values (false)$$, '23514', null, 'there is only one row');

update public.send_window set time_zone = 'America/New_York', week_days = '{1,2,3,4,5,6,7}';
select ok(public.is_business_hours('2025-11-08 09:30:00-05'), 'an edited window (New York, every day) applies at once');
select is(public.next_window_opening('2025-11-08 20:30:00-05'), '2025-11-09 09:00:00-05'::timestamptz,
          'next opening follows the edited window');

select * from finish();
rollback;
