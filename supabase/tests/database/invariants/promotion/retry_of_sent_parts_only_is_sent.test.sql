-- Invariant (c), `sent` means every bubble was sent, and (a): promotion's SCH -> sent move, "a retry
-- whose every bubble was already sent". A message failed after bubble 1 went out; a person retries it
-- with the text cut down to bubble 1 alone. Nothing is queued again (bubble 1 is never sent twice) and
-- the message is sent, with the sent_at of bubble 1.
begin;
\ir ../_fixture.psql
select plan(4);

insert into scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
values ('+12095550407', 'Cut Short', 'one [BUBBLE] two', '2025-11-05 14:00-08', 'inv-cut')
returning id as sm \gset
select * from process_scheduled_messages_safe();
select pg_temp.send_next('w1') as b1 \gset
select pg_temp.claim('w1') as b2 \gset
select mark_bubble_failed(:b2, 'w1', '+CMS ERROR: 21', true);

update scheduled_messages set status = 'SCH', message_content = 'one' where id = :sm;
select * from process_scheduled_messages_safe();

select is(pg_temp.sm_status(:sm), 'sent', 'the retry of an already sent text is sent at once');
select is((select count(*) from messages where scheduled_message_id = :sm and status = 'queued'), 0::bigint,
          'nothing is queued again');
select is((select sent_at from scheduled_messages where id = :sm), (select sent_at from messages where id = :b1),
          'sent_at is bubble 1''s');
select is(pg_temp.claimable_count(), 0, 'nothing is claimable');

select * from finish();
rollback;
