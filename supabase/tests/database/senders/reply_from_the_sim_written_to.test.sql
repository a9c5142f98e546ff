-- A number that texts a SIM before we ever texted them becomes that SIM's recipient (the first move is
-- recorded), and the answer to their STOP goes from that SIM: another listener cannot claim it.
begin;
\ir _fixture.psql
select plan(5);

select pg_temp.register('w1', '310260000000001') as sim1 \gset
select pg_temp.register('w2', '310260000000002') as sim2 \gset

select isnt((select r.inbound_message_id
               from public.record_inbound_part('w2', '+12095550499', statement_timestamp(), 'STOP', null, null, null,
                                               'stop-from-a-stranger') r), null, 'the STOP is stored as a reply');
select is(pg_temp.sim_of('+12095550499'), :sim2::bigint, 'the number is the recipient of the SIM it wrote to');
select is((select kind from public.recipient_sender_moves where phone_number = '+12095550499'), 'first',
  'recorded as a first assignment');
select is(pg_temp.claim('w1'), null, 'the other SIM does not get the confirmation');
select is((select reply_kind from public.messages where id = pg_temp.claim('w2')), 'opt_out_confirmation',
  'the SIM the customer wrote to sends the confirmation');

select * from finish();
rollback;
