-- A permanent failure fails the bubble, cancels the message's later unsent bubbles and fails the
-- scheduled message with the modem's error (saying how much went out); other messages are not touched.
begin;
\ir _listener_fixture.psql
select plan(8);

select pg_temp.queue_message('+12095550131', 4) as sm \gset
select pg_temp.queue_message('+12095550132', 1) as other \gset

select pg_temp.claim('w1');
select tests.pin_clock('2025-11-05 14:30:03-08');
select public.mark_bubble_sent(pg_temp.bubble(:sm, 1), 'w1', 'r1');
select tests.pin_clock('2025-11-05 14:30:05-08');
select pg_temp.claim('w1');

select tests.pin_clock('2025-11-05 14:30:07-08');
select results_eq(
  format($$select status, error_message, next_attempt_at from public.mark_bubble_failed(%s, 'w1', '+CMS ERROR: 21 (rejected)', true)$$,
         pg_temp.bubble(:sm, 2)),
  $$values ('failed'::text, '+CMS ERROR: 21 (rejected)'::text, null::timestamptz)$$,
  'mark_bubble_failed(permanent) returns the bubble failed with the error and no retry time');
select is((select status from public.messages where id = pg_temp.bubble(:sm, 1)), 'sent', 'the bubble already sent stays sent');
select results_eq(
  format('select status from public.messages where scheduled_message_id = %s and bubble_index > 2 order by bubble_index', :sm),
  $$values ('cancelled'::text), ('cancelled'::text)$$,
  'bubbles 3 and 4 are cancelled');
select is((select error_message from public.messages where id = pg_temp.bubble(:sm, 3)),
  format('not sent: scheduled message %s was failed before this bubble was sent', :sm),
  'a cancelled bubble says why');
select results_eq(
  format('select status, error_message from public.scheduled_messages where id = %s', :sm),
  format($$values ('failed'::text, 'partially sent: 1 of 4 bubbles went out; bubble 2 of 4 (messages row %s) failed: +CMS ERROR: 21 (rejected)'::text)$$,
         pg_temp.bubble(:sm, 2)),
  'the scheduled message is failed with the modem''s error and how much of it went out');
select is((select status from public.messages where id = pg_temp.bubble(:other, 1)), 'queued', 'another message''s bubble stays queued');
select tests.pin_clock('2025-11-05 14:31-08');
select is(pg_temp.claim('w1'), pg_temp.bubble(:other, 1), 'and is the next one claimed');
select tests.pin_clock('2025-11-05 14:32-08');
select throws_ok(
  format($$select public.mark_bubble_failed(%s, 'w1', 'again', true)$$, pg_temp.bubble(:sm, 2)),
  '55000',
  format('messages row %s: cannot mark failed: it is failed, not sending (claimed by ''w1'')', pg_temp.bubble(:sm, 2)),
  'a failed bubble cannot be marked again');

select * from finish();
rollback;
