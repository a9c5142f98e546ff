-- An ambiguous word in a longer reply ("cancel my appointment") is flagged, not an opt-out: no
-- confirmation, texts still go. dashboard_flagged_replies shows it with the FCC's 10 business days
-- (Mon-Fri in the send window's zone; holidays not counted) and how many are left; review_reply records
-- a person's decision (an opt-out: opted out with a confirmation) and takes it off the view.
begin;
\ir ../_inbound_fixture.psql
select plan(9);

select pg_temp.queue_message('+12095550511', 2) as sm \gset
select public.mark_bubble_sent(pg_temp.claim('w1'), 'w1', '1');
select pg_temp.reply('+12095550511', 'Can I cancel my appointment?') as flagged \gset
select is((select action from public.inbound_messages where id = :flagged), 'flagged', 'the reply is flagged');
select ok(not pg_temp.opted_out('+12095550511'), 'the number is not opted out');
select is((select status from public.messages where id = pg_temp.bubble(:sm, 2)), 'queued', 'its texts still go');

-- Received Wednesday 2025-11-05: ten business days later is Wednesday 2025-11-19 (end of day, Pacific).
select tests.pin_clock('2025-11-10 09:00-08');
select results_eq(
  format('select id, keyword, honour_by, business_days_left, opted_out_now from public.dashboard_flagged_replies'),
  format($$values (%s::bigint, 'CANCEL'::text, pg_temp.pt('2025-11-20 00:00'), 7, false)$$, :flagged),
  'the view shows the deadline (end of the 10th business day) and 7 business days left on Monday 11-10');
select is((select in_reply_to from public.dashboard_flagged_replies), 'bubble 1 [BUBBLE] bubble 2',
  'with the text it answers');

select public.review_reply(:flagged, true, 'she means stop');
select ok(pg_temp.opted_out('+12095550511'), 'a person decides it is an opt-out: opted out');
select is(pg_temp.replies('+12095550511', 'opt_out_confirmation'), 1::bigint, 'with one confirmation');
select is((select status from public.scheduled_messages where id = :sm), 'cancelled', 'and the rest of the text stops');
select is_empty('select * from public.dashboard_flagged_replies', 'the reply leaves the view');

select * from finish();
rollback;
