-- The guard trigger on messages allows only the bubble life cycle of internal.transitions, each move
-- by its one writer; a bubble's recipient, text and position are frozen copies from the moment
-- promotion creates it; a person only resolves an unknown bubble. Each refusal names the row.
begin;
\ir _listener_fixture.psql
select plan(14);

select pg_temp.queue_message('+12095550191', 3) as sm \gset
select pg_temp.bubble(:sm, 1) as b1 \gset
select pg_temp.bubble(:sm, 2) as b2 \gset
select pg_temp.bubble(:sm, 3) as b3 \gset

select throws_ok(
  format($$insert into public.messages (scheduled_message_id, promotion, bubble_index, bubble_count, phone_number, content)
           values (%s, 9, 1, 1, '+12095550191', 'extra')$$, :sm),
  '55000', 'messages: bubbles are created by promotion (and replies by the inbound handling) only, not by person',
  'a person cannot insert a bubble');
select throws_ok(format($$update public.messages set content = 'edited' where id = %s$$, :b3), '55000',
  format('messages row %s: its recipient, text and position are frozen copies of scheduled message %s', :b3, :sm),
  'even a queued bubble''s text is frozen');
select throws_ok(format($$update public.messages set bubble_index = 5 where id = %s$$, :b3), '55000',
  format('messages row %s: its recipient, text and position are frozen copies of scheduled message %s', :b3, :sm),
  'and its position');
select throws_ok(format($$update public.messages set status = 'sending' where id = %s$$, :b1), '55000',
  format('messages row %s: cannot move from queued to sending: only claim makes that move, not person', :b1),
  'only the claim hands a bubble out');
select throws_ok(format($$update public.messages set status = 'sent' where id = %s$$, :b1), '55000',
  format('messages row %s: cannot move from queued to sent', :b1), 'queued cannot jump to sent (it must be claimed)');
select throws_ok(format($$update public.messages set status = 'cancelled' where id = %s$$, :b1), '55000',
  format('messages row %s: cannot move from queued to cancelled: only follow makes that move, not person', :b1),
  'a person cannot cancel a bubble (cancel its scheduled message)');

select pg_temp.claim('w1');
select throws_ok(format($$update public.messages set phone_number = '+12095550100' where id = %s$$, :b1), '55000',
  format('messages row %s: its recipient, text and position are frozen copies of scheduled message %s', :b1, :sm),
  'the recipient of a bubble being sent cannot change');
select throws_ok(format($$update public.messages set status = 'sent' where id = %s$$, :b1), '55000',
  format('messages row %s: cannot move from sending to sent: only listener makes that move, not person', :b1),
  'a person cannot record the modem''s answer');
select throws_ok(format($$update public.messages set worker_id = 'w2' where id = %s$$, :b1), '55000',
  format('messages row %s: worker_id, claimed_at, attempts, next_attempt_at, modem_reference, sent_at, delivery_status and delivered_at are kept by the listener', :b1),
  'nor move a claim to another worker');

select public.mark_bubble_sent(:b1, 'w1', 'r');
select throws_ok(format($$update public.messages set status = 'queued' where id = %s$$, :b1), '55000',
  format('messages row %s: cannot move from sent to queued', :b1),
  'a sent bubble is never queued again');
select throws_ok(format($$delete from public.messages where id = %s$$, :b2), '55000',
  format('messages row %s: a bubble is deleted only with its scheduled message %s', :b2, :sm),
  'a bubble cannot be deleted on its own');

select tests.pin_clock('2025-11-05 14:31-08');
select pg_temp.claim('w1');
select public.mark_bubble_failed(:b2, 'w1', 'rejected', true);
select throws_ok(format($$update public.messages set status = 'queued' where id = %s$$, :b2), '55000',
  format('messages row %s: cannot move from failed to queued', :b2),
  'a failed bubble is not re-queued (a retry of its message creates new rows)');
select throws_ok(format($$update public.messages set status = 'queued' where id = %s$$, :b3), '55000',
  format('messages row %s: cannot move from cancelled to queued', :b3),
  'nor a cancelled one');
select lives_ok(format($$update public.messages set error_message = 'note' where id = %s$$, :b2),
  'a note on a finished bubble can still be written');

select * from finish();
rollback;
