-- Invariant (g): names are bounded (at most 200 characters), so every view and the dashboard can show
-- them. A 201-character campaign or customer name is refused (23514); 200 is accepted.
begin;
\ir ../_fixture.psql
select plan(5);

select pg_temp.snapshot();
select pg_temp.refused($$insert into campaign_messages (campaign_name, phone_number, message_content)
  values (repeat('c', 201), '+12095550804', 'hi')$$, '23514', null, null, 'a 201-character campaign_name is refused');
select pg_temp.refused($$insert into campaign_messages (campaign_name, customer_name, phone_number, message_content)
  values ('inv-names', repeat('n', 201), '+12095550804', 'hi')$$, '23514', null, null, 'a 201-character customer_name is refused');
select pg_temp.refused($$insert into scheduled_messages (phone_number, customer_name, message_content, scheduled_for)
  values ('+12095550804', repeat('n', 100000), 'hi', '2025-11-05 15:00-08')$$, '23514', null, null,
  'a 100,000-character customer_name on a scheduled message is refused');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');
select lives_ok($$insert into campaign_messages (campaign_name, customer_name, phone_number, message_content)
  values (repeat('c', 200), repeat('n', 200), '+12095550804', 'hi')$$, '200 characters are accepted');

select * from finish();
rollback;
