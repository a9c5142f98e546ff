-- Invariant (a) with (b): a retry skips only bubbles already sent with the same text TO THE SAME
-- recipient. Attack: a message failed after bubble 1 went out; a person corrects the phone number while
-- retrying. The new recipient got nothing, so every bubble must go to it (skipping bubble 1 would lose
-- it for them).
begin;
\ir ../_fixture.psql
select plan(3);

insert into scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
values ('+12095550405', 'Wrong Number', 'one [BUBBLE] two', '2025-11-05 14:00-08', 'inv-renumber')
returning id as sm \gset
select * from process_scheduled_messages_safe();
select pg_temp.send_next('w1');
select pg_temp.claim('w1') as b2 \gset
select mark_bubble_failed(:b2, 'w1', '+CMS ERROR: 21', true);

update scheduled_messages set status = 'SCH', phone_number = '+12095550406' where id = :sm;
select * from process_scheduled_messages_safe();

select results_eq(format($$select bubble_index, phone_number from messages where scheduled_message_id = %s
                             and promotion = 2 order by bubble_index$$, :sm),
                  $$values (1, '+12095550406'::text), (2, '+12095550406'::text)$$,
                  'the retry sends both bubbles to the corrected number');
select pg_temp.send_next('w1'), pg_temp.send_next('w1');
select is(pg_temp.sm_status(:sm), 'sent', 'sent once both went to the new number');
select is((select count(*) from messages where scheduled_message_id = :sm and status = 'sent'
             and phone_number = '+12095550406'), 2::bigint, 'two bubbles sent to the new number');

select * from finish();
rollback;
