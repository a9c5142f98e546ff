-- The guard trigger on messages allows only the bubble life cycle and freezes a bubble's
-- recipient and text once it left queued; each refusal names the row and the two statuses.
begin;
\ir _listener_fixture.psql
select plan(14);

select pg_temp.queue_message('+12095550191', 3) as sm \gset
select pg_temp.bubble(:sm, 1) as b1 \gset
select pg_temp.bubble(:sm, 2) as b2 \gset
select pg_temp.bubble(:sm, 3) as b3 \gset

select lives_ok(format($$update public.messages set content = 'edited' where id = %s$$, :b3),
  'a queued bubble''s text can be edited');
select throws_ok(format($$update public.messages set status = 'sent' where id = %s$$, :b1), '55000',
  format('message %s: cannot go from queued to sent', :b1), 'queued cannot jump to sent (it must be claimed)');
select throws_ok(format($$update public.messages set status = 'unknown' where id = %s$$, :b1), '55000',
  format('message %s: cannot go from queued to unknown', :b1), 'queued cannot become unknown');

select pg_temp.claim('w1', '2025-11-05 14:30');
select throws_ok(format($$update public.messages set content = 'late edit' where id = %s$$, :b1), '55000',
  format('message %s: cannot change its recipient, text or position: it is sending, only a queued bubble can be edited', :b1),
  'the text of a bubble being sent cannot change');
select throws_ok(format($$update public.messages set phone_number = '+12095550100' where id = %s$$, :b1), '55000',
  format('message %s: cannot change its recipient, text or position: it is sending, only a queued bubble can be edited', :b1),
  'nor its recipient');
select throws_ok(format($$update public.messages set status = 'cancelled' where id = %s$$, :b1), '55000',
  format('message %s: cannot go from sending to cancelled', :b1), 'a bubble in the modem cannot be cancelled');

select public.mark_bubble_sent(:b1, 'w1', 'r', pg_temp.pt('2025-11-05 14:30:02'));
select throws_ok(format($$update public.messages set status = 'queued' where id = %s$$, :b1), '55000',
  format('message %s: cannot go from sent to queued: a bubble is retried only with its scheduled message (scheduled message %s is queued)', :b1, :sm),
  'a sent bubble is never queued again while its message is being sent');
select throws_ok(format($$update public.messages set status = 'cancelled' where id = %s$$, :b1), '55000',
  format('message %s: cannot go from sent to cancelled', :b1), 'a sent bubble cannot be cancelled');

update public.messages set status = 'cancelled' where id = :b3;
select pg_temp.claim('w1', '2025-11-05 14:31');
select public.mark_bubble_failed(:b2, 'w1', 'rejected', true, pg_temp.pt('2025-11-05 14:31:02'));
select throws_ok(format($$update public.messages set status = 'queued' where id = %s$$, :b2), '55000',
  format('message %s: cannot go from failed to queued: a bubble is retried only with its scheduled message (scheduled message %s is failed)', :b2, :sm),
  'a failed bubble is not re-queued on its own (its message failed)');
select throws_ok(format($$update public.messages set status = 'queued' where id = %s$$, :b3), '55000',
  format('message %s: cannot go from cancelled to queued: a bubble is retried only with its scheduled message (scheduled message %s is failed)', :b3, :sm),
  'nor a cancelled one');
select lives_ok(format($$update public.messages set error_message = 'note' where id = %s$$, :b2),
  'a note on a finished bubble can still be written');

-- Retrying the scheduled message (failed -> SCH) lets its failed and cancelled bubbles be queued again,
-- with new text if the message was edited meanwhile.
update public.scheduled_messages set status = 'SCH', error_message = null where id = :sm;
select lives_ok(format($$update public.messages set status = 'queued', attempts = 0, content = 'edited again'
                          where id in (%s, %s)$$, :b2, :b3),
  'with the scheduled message back in SCH its bubbles can be queued again (and edited)');
select is(pg_temp.claim('w1', '2025-11-05 14:40'), null, 'but they are not claimable before the message is promoted again');
update public.scheduled_messages set status = 'queued' where id = :sm;
select is(pg_temp.claim('w1', '2025-11-05 14:41'), :b2::bigint, 'once it is queued, the retried bubble 2 is next');

select * from finish();
rollback;
