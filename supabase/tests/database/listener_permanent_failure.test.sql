-- A permanent failure fails the bubble, cancels the message's later unsent bubbles and fails the
-- scheduled message with the modem's error; other messages are not touched.
begin;
\ir _listener_fixture.psql
select plan(8);

select pg_temp.queue_message('+12095550131', 4) as sm \gset
select pg_temp.queue_message('+12095550132', 1) as other \gset

select pg_temp.claim('w1', '2025-11-05 14:30');
select public.mark_bubble_sent(pg_temp.bubble(:sm, 1), 'w1', 'r1', pg_temp.pt('2025-11-05 14:30:03'));
select pg_temp.claim('w1', '2025-11-05 14:30:05');

select results_eq(
  format($$select status, error_message, next_attempt_at from public.mark_bubble_failed(%s, 'w1', '+CMS ERROR: 21 (rejected)', true, pg_temp.pt('2025-11-05 14:30:07'))$$,
         pg_temp.bubble(:sm, 2)),
  $$values ('failed'::text, '+CMS ERROR: 21 (rejected)'::text, null::timestamptz)$$,
  'mark_bubble_failed(permanent) returns the bubble failed with the error and no retry time');
select is((select status from public.messages where id = pg_temp.bubble(:sm, 1)), 'sent', 'the bubble already sent stays sent');
select results_eq(
  format('select status from public.messages where scheduled_message_id = %s and bubble_index > 2 order by bubble_index', :sm),
  $$values ('cancelled'::text), ('cancelled'::text)$$,
  'bubbles 3 and 4 are cancelled');
select is((select error_message from public.messages where id = pg_temp.bubble(:sm, 3)),
  format('not sent: bubble 2 of 4 (message %s) failed', pg_temp.bubble(:sm, 2)),
  'a cancelled bubble says which bubble failed');
select results_eq(
  format('select status, error_message from public.scheduled_messages where id = %s', :sm),
  format($$values ('failed'::text, 'bubble 2 of 4 (message %s) failed: +CMS ERROR: 21 (rejected)'::text)$$, pg_temp.bubble(:sm, 2)),
  'the scheduled message is failed with the modem''s error');
select is((select status from public.messages where id = pg_temp.bubble(:other, 1)), 'queued', 'another message''s bubble stays queued');
select is(pg_temp.claim('w1', '2025-11-05 14:31'), pg_temp.bubble(:other, 1), 'and is the next one claimed');
select throws_ok(
  format($$select public.mark_bubble_failed(%s, 'w1', 'again', true, pg_temp.pt('2025-11-05 14:32'))$$, pg_temp.bubble(:sm, 2)),
  '55000',
  format('message %s: cannot mark failed: it is failed, not sending (claimed by ''w1'')', pg_temp.bubble(:sm, 2)),
  'a failed bubble cannot be marked again');

select * from finish();
rollback;
