-- Invariant (a) with (b): a retry re-sends a sent bubble only when a person changed its text (the
-- edit of the SCH message is an approval of the new text); unchanged sent bubbles are not re-sent.
begin;
\ir ../_fixture.psql
select plan(5);

insert into scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
values ('+12095550402', 'Retry Edit', 'hello [BUBBLE] your code is 1234 [BUBBLE] bye', '2025-11-05 14:00-08', 'inv-edit')
returning id as sm \gset
select * from process_scheduled_messages_safe();
select pg_temp.send_next('w1') as b1 \gset
select pg_temp.send_next('w1') as b2 \gset
select pg_temp.claim('w1') as b3 \gset
select mark_bubble_failed(:b3, 'w1', '+CMS ERROR: 500', true);

-- the person fixes bubble 2's text while retrying
update scheduled_messages set status = 'SCH', message_content = 'hello [BUBBLE] your code is 5678 [BUBBLE] bye'
 where id = :sm;
select * from process_scheduled_messages_safe();

select results_eq(format($$select bubble_index, content from messages where scheduled_message_id = %s
                             and promotion = 2 order by bubble_index$$, :sm),
                  $$values (2, 'your code is 5678'::text), (3, 'bye'::text)$$,
                  'the changed bubble 2 and the unsent bubble 3 are in the retry; the unchanged sent bubble 1 is not');
select is(pg_temp.bubble_status(:b2), 'sent', 'the old bubble 2 row stays sent (a new row carries the new text)');
select is(pg_temp.send_next('w1'), pg_temp.bubble(:sm, 2), 'the new bubble 2 goes out');
select is(pg_temp.send_next('w1'), pg_temp.bubble(:sm, 3), 'then bubble 3');
select is(pg_temp.sm_status(:sm), 'sent', 'the message is sent');

select * from finish();
rollback;
