-- record_malformed_inbound keeps a PDU the listener could not decode, raw with the reason, once per PDU;
-- record_inbound_part keeps a part with impossible values (part 4 of 3, no time stamp) the same way
-- instead of raising, so the listener can delete it from the modem.
begin;
\ir ../_inbound_fixture.psql
select plan(6);

select public.record_malformed_inbound('w1', '07 91 13 26 04 00 00 f0 44', 'truncated user data') as m1 \gset
select is(public.record_malformed_inbound('w1', '0791132604000 0F044', 'truncated user data'), :m1::bigint,
  'the same PDU (white space and case aside) is one row');
select results_eq($$select worker_id, raw_pdu, reason from public.inbound_malformed$$,
  $$values ('w1'::text, '07911326040000F044'::text, 'truncated user data'::text)$$, 'kept raw (upper-case hex) with the reason');

select is((select part_id from public.record_inbound_part('w1', '+12095550431', pg_temp.pt('2025-11-05 14:29'), 'x', 1, 3, 4, 'AA04')),
  null, 'a part 4 of 3 is not stored as a part');
select is((select reason from public.inbound_malformed where raw_pdu = 'AA04'), 'part number 4 is outside 1-3',
  'it is kept as malformed with the reason');
select public.record_inbound_part('w1', '+12095550431', null, 'x', null, null, null, 'AA05');
select is((select reason from public.inbound_malformed where raw_pdu = 'AA05'), 'no service-centre time stamp',
  'so is a part without a time stamp');
select throws_ok($$select public.record_malformed_inbound('', 'AA', 'x')$$, '22023', null, 'a worker id is required');

select * from finish();
rollback;
