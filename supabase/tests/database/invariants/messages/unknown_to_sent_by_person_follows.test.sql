-- Invariant (h) person's move unknown -> sent ("I checked the phone, it arrived"), and (c)/(d): the
-- parent follows: the next bubble becomes claimable and the message is sent when all bubbles are.
begin;
\ir ../_fixture.psql
select plan(6);

select pg_temp.queued('+12095550309', 'one [BUBBLE] two') as sm \gset
select id as cm from campaign_messages where phone_number = '+12095550309' \gset
select pg_temp.claim('w1') as b1 \gset
select mark_bubble_unknown(:b1, 'w1', 'no +CMGS answer');
select is(pg_temp.claimable_count(), 0, 'while bubble 1 is unknown, bubble 2 waits');

update messages set status = 'sent' where id = :b1;
select is(pg_temp.bubble_status(:b1), 'sent', 'a person may set unknown -> sent');
select is(pg_temp.sm_status(:sm), 'queued', 'the message is still queued (bubble 2 to go)');
select is(pg_temp.send_next('w1'), pg_temp.bubble(:sm, 2), 'bubble 2 is claimed and sent');
select is(pg_temp.sm_status(:sm), 'sent', 'then the message is sent');
select is(pg_temp.cm_status(:cm), 'sent', 'and the campaign row follows');

select * from finish();
rollback;
