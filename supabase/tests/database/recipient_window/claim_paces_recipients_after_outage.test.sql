-- Pacing at the modem: after a listener outage four queued messages of one campaign (two bubbles each)
-- do not go out back to back. The next recipient's first bubble is claimable catch_up_gap (4 minutes)
-- after the previous one; the rest of a started message is not held back; another campaign is not paced.
begin;
\ir ../_listener_fixture.psql
select plan(9);

-- Claim as w1 and record that the modem sent it; the claimed bubble's recipient, or null.
create function pg_temp.send_phone() returns text language plpgsql as $$
declare
  b bigint := pg_temp.claim('w1');
begin
  if b is null then
    return null;
  end if;
  perform public.mark_bubble_sent(b, 'w1', 'ref');
  return (select phone_number from public.messages where id = b);
end $$;

-- While the listener was down, promotion released one message per catch-up gap from 14:00 on.
insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
select '+1209555010' || i, 'outage', 'hi [BUBBLE] there', pg_temp.pt('2025-11-05 14:00'), 'spring sale'
  from generate_series(1, 4) i;
select tests.pin_clock(pg_temp.pt('2025-11-05 14:00'));
select public.process_scheduled_messages();
select tests.pin_clock(pg_temp.pt('2025-11-05 14:04'));
select public.process_scheduled_messages();
select tests.pin_clock(pg_temp.pt('2025-11-05 14:08'));
select public.process_scheduled_messages();
select tests.pin_clock(pg_temp.pt('2025-11-05 14:12'));
select public.process_scheduled_messages();
select is((select count(*) from public.scheduled_messages where status = 'queued')::integer, 4,
  'four messages of the campaign are queued while no listener runs');
select pg_temp.queue_message('+12095550200', 1) as other \gset

-- The listener comes back at 14:30.
select tests.pin_clock(pg_temp.pt('2025-11-05 14:30'));
select is(pg_temp.send_phone(), '+12095550101', 'at 14:30 the first recipient''s bubble 1 is claimed');
select is(pg_temp.send_phone(), '+12095550101', 'its bubble 2 follows at once (a started message is not paced)');
select is(pg_temp.send_phone(), '+12095550200',
  'the next recipient of the campaign waits: a message of another campaign is claimed instead');
select is(pg_temp.claim('w1'), null, 'nothing more at 14:30');
select is(public.next_bubble_due_at(), pg_temp.pt('2025-11-05 14:34'),
  'next_bubble_due_at: 14:34, the catch-up gap after the first recipient');

select tests.pin_clock(pg_temp.pt('2025-11-05 14:33:59'));
select is(pg_temp.claim('w1'), null, 'still nothing at 14:33:59');
select tests.pin_clock(pg_temp.pt('2025-11-05 14:34'));
select is(pg_temp.send_phone(), '+12095550102', 'at 14:34 the second recipient''s first bubble is claimed');
select pg_temp.send_phone();
select tests.pin_clock(pg_temp.pt('2025-11-05 14:37'));
select is(pg_temp.claim('w1'), null, 'the third waits until 14:38');

select * from finish();
rollback;
