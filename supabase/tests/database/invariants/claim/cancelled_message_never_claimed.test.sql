-- Invariant (a)/(c): once a person cancels a queued scheduled message, none of its unsent bubbles can be
-- claimed; the campaign row follows. A bubble already sent stays sent and the message says partial.
begin;
\ir ../_fixture.psql
select plan(4);

select pg_temp.queued('+12095550502', 'one [BUBBLE] two [BUBBLE] three') as sm \gset
select pg_temp.send_next('w1') as b1 \gset
update scheduled_messages set status = 'cancelled' where id = :sm;

select is(pg_temp.claimable_count(), 0, 'nothing of the cancelled message can be claimed');
select results_eq(format($$select bubble_index, status from messages where scheduled_message_id = %s order by bubble_index$$, :sm),
                  $$values (1, 'sent'::text), (2, 'cancelled'::text), (3, 'cancelled'::text)$$,
                  'bubble 1 stays sent, the others are cancelled');
select is((select c.status from campaign_messages c join scheduled_messages s on s.campaign_message_id = c.id where s.id = :sm),
          'cancelled', 'the campaign row follows');
select matches((select error_message from scheduled_messages where id = :sm), 'partially sent: 1 of 3 bubbles went out',
               'error_message says partially sent: 1 of 3');

select * from finish();
rollback;
