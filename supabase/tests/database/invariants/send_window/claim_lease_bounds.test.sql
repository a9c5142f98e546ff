-- Invariant (g): send_window settings stay within sane bounds (23514). Attack (issue 10): a person sets
-- send_window.claim_lease to '0' or '100 years' in the dashboard; the listener or promotion then misbehaves
-- (never retries, retries forever, recovers every claim at once, or holds everything back for a century).
begin;
\ir ../_fixture.psql
select plan(4);

select claim_lease::text as before from send_window \gset

select pg_temp.outcome($$update send_window set claim_lease = '0'$$) as bad1 \gset
select pg_temp.outcome($$update send_window set claim_lease = '100 years'$$) as bad2 \gset
select matches(:'bad1'::text, '^23514: .*claim_lease', 'claim_lease = 0 is refused (23514, naming the setting)');
select matches(:'bad2'::text, '^23514: .*claim_lease', 'claim_lease = 100 years is refused');
select is((select claim_lease::text from send_window), :'before'::text, 'the setting is unchanged');
update send_window set claim_lease = '10 minutes';
select is((select claim_lease from send_window), '10 minutes'::interval, 'a sane value is accepted');

select * from finish();
rollback;
