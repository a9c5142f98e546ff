-- Invariant (g): send_window settings stay within sane bounds (23514). Attack (issue 10): a person sets
-- send_window.catch_up_gap to '100 years' or '-1 minute' in the dashboard; the listener or promotion then misbehaves
-- (never retries, retries forever, recovers every claim at once, or holds everything back for a century).
begin;
\ir ../_fixture.psql
select plan(4);

select catch_up_gap::text as before from send_window \gset

select pg_temp.outcome($$update send_window set catch_up_gap = '100 years'$$) as bad1 \gset
select pg_temp.outcome($$update send_window set catch_up_gap = '-1 minute'$$) as bad2 \gset
select matches(:'bad1'::text, '^23514: .*catch_up_gap', 'catch_up_gap = 100 years is refused (23514, naming the setting)');
select matches(:'bad2'::text, '^23514: .*catch_up_gap', 'catch_up_gap = -1 minute is refused');
select is((select catch_up_gap::text from send_window), :'before'::text, 'the setting is unchanged');
update send_window set catch_up_gap = '4 minutes';
select is((select catch_up_gap from send_window), '4 minutes'::interval, 'a sane value is accepted');

select * from finish();
rollback;
