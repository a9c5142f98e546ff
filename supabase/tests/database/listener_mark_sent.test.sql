-- mark_bubble_sent: only the claiming worker, only from sending, at the database clock; the last
-- bubble sent makes the scheduled message sent with sent_at. Errors name the row and the reason.
begin;
\ir _listener_fixture.psql
select plan(11);

select pg_temp.queue_message('+12095550141', 2) as sm \gset
select pg_temp.queue_message('+12095550142', 1) as other \gset
select pg_temp.bubble(:sm, 1) as b1 \gset
select pg_temp.bubble(:sm, 2) as b2 \gset

select throws_ok(format($$select public.mark_bubble_sent(%s, 'w1', 'r')$$, :b1), '55000',
  format('messages row %s: cannot mark sent: it is queued, not sending (claimed by nobody)', :b1),
  'a queued bubble cannot be marked sent');
select pg_temp.claim('w1');
select throws_ok(format($$select public.mark_bubble_sent(%s, 'w2', 'r')$$, :b1), '55000',
  format('messages row %s: cannot mark sent: it is claimed by ''w1'', not by ''w2''', :b1),
  'another worker cannot mark it sent');
select throws_ok($$select public.mark_bubble_sent(999999, 'w1', 'r')$$, 'P0002',
  'messages row 999999: cannot mark sent: no such message', 'a missing message is named');
select throws_ok(format($$select public.mark_bubble_sent(%s, '  ', 'r')$$, :b1), '22023',
  format('messages row %s: cannot mark sent: worker_id must not be empty', :b1), 'an empty worker id is refused');

select tests.pin_clock('2025-11-05 14:30:04-08');
select results_eq(
  format($$select status, modem_reference, sent_at from public.mark_bubble_sent(%s, 'w1', ' 17 ')$$, :b1),
  $$values ('sent'::text, '17'::text, pg_temp.pt('2025-11-05 14:30:04'))$$,
  'the claiming worker marks it sent with the modem reference (trimmed) at the database clock');
select is((select status from public.scheduled_messages where id = :sm), 'queued',
  'the scheduled message stays queued while a bubble is unsent');
select throws_ok(format($$select public.mark_bubble_sent(%s, 'w1', '17')$$, :b1), '55000',
  format('messages row %s: cannot mark sent: it is sent, not sending (claimed by ''w1'')', :b1),
  'a sent bubble cannot be marked sent twice');

select tests.pin_clock('2025-11-05 14:30:10-08');
select pg_temp.claim('w1');  -- bubble 2 leaves from bubble 1's SIM (issue 14)
select tests.pin_clock('2025-11-05 14:30:12-08');
select public.mark_bubble_sent(:b2, 'w1', '18');
select results_eq(
  format('select status, sent_at, error_message from public.scheduled_messages where id = %s', :sm),
  $$values ('sent'::text, pg_temp.pt('2025-11-05 14:30:12'), null::text)$$,
  'with its last bubble sent the scheduled message is sent, sent_at = the last bubble''s time');

-- The other message: its single bubble is sent like any other, and only its own message changes.
select is(pg_temp.claim('w1'), pg_temp.bubble(:other, 1), 'the other message''s bubble is claimable');
select is((select status from public.scheduled_messages where id = :other), 'queued',
  'the other message stayed queued while the first one was sent');
select tests.pin_clock('2025-11-05 14:31:02-08');
select is((select status from public.mark_bubble_sent(pg_temp.bubble(:other, 1), 'w1', '19')), 'sent',
  'and can be marked sent');

select * from finish();
rollback;
