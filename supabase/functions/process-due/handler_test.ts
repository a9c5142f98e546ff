/**
 * The handler against a real, migrated database (SUPABASE_DB_URL; tests/integration/test_edge_function.py
 * passes a fresh clone). Each test makes its own rows, so the order of the tests does not matter.
 *
 * Two connections per test, as in production: `admin` (the owner, what SUPABASE_DB_URL is) sets rows up
 * and checks them; `edge` is what the handler gets. `edge` logs in as a fresh role whose only privileges
 * come from membership in sms_edge_promoter, the role a deployed function connects as
 * (PROCESS_DUE_DB_URL), so every test also proves the function needs nothing more.
 */
import postgres from "npm:postgres@3.4.9";
import { strict as assert } from "node:assert";

import {
  createProcessDueHandler,
  findExcessPrivilege,
  type LogFn,
  type SqlClient,
  type StatusDocument,
} from "../_shared/process_due.ts";

const DB_URL = Deno.env.get("SUPABASE_DB_URL");
const KEY = `test-service-role-${crypto.randomUUID()}`;
const URL_ = "http://localhost/functions/v1/process-due";
const EDGE_ROLE = "sms_edge_promoter";

function databaseUrl(): string {
  if (DB_URL === undefined || DB_URL === "") {
    throw new Error("SUPABASE_DB_URL must name a migrated test database");
  }
  return DB_URL;
}

interface Captured {
  lines: { level: string; event: string; fields: Record<string, unknown> }[];
  log: LogFn;
}

function captureLog(): Captured {
  const lines: Captured["lines"] = [];
  return { lines, log: (level, event, fields) => lines.push({ level, event, fields }) };
}

async function withSql<T>(fn: (sql: SqlClient) => Promise<T>, options: postgres.Options<never> = {}): Promise<T> {
  const sql = postgres(databaseUrl(), { max: 2, onnotice: () => {}, ...options });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

interface Clients {
  /** The database owner: sets rows up and checks them. */
  admin: SqlClient;
  /** Logged in as a member of sms_edge_promoter, with nothing else: what the handler gets. */
  edge: SqlClient;
}

/**
 * Runs `fn` with an owner connection and an edge connection. The edge login role is created for this
 * test (the harness trusts local connections, so it needs no password) and dropped afterwards; roles are
 * cluster-wide, hence the random name.
 */
async function withClients<T>(fn: (clients: Clients) => Promise<T>): Promise<T> {
  return await withSql(async (admin) => {
    const login = `edge_test_${crypto.randomUUID().replaceAll("-", "")}`;
    await admin.unsafe(`create role ${login} login inherit in role ${EDGE_ROLE}`);
    const url = new URL(databaseUrl());
    url.username = login;
    url.password = "";
    const edge = postgres(url.toString(), { max: 2, onnotice: () => {} });
    try {
      return await fn({ admin, edge });
    } finally {
      await edge.end({ timeout: 5 });
      await admin.unsafe(`drop role ${login}`);
    }
  });
}

/** Open the send window and the recipients' quiet-hour rules at every moment, so the test does not
 * depend on the wall clock (docs/recipient-windows.md: promotion also waits for the recipient's hours). */
async function openWindowAlways(sql: SqlClient): Promise<void> {
  await sql`update public.send_window
            set week_days = '{1,2,3,4,5,6,7}', opens_at = '00:00', closes_at = '23:59:59.999999'`;
  await sql`delete from public.recipient_rule_hours h using public.recipient_rule_hours e
             where h.rule = e.rule and h.id > e.id`;
  await sql`update public.recipient_rule_hours
            set iso_days = '{1,2,3,4,5,6,7}', opens_at = '00:00', closes_at = '24:00'`;
}

/** One due message (two bubbles) with a unique campaign name; returns its id. */
async function insertDue(sql: SqlClient, campaign: string): Promise<number> {
  const [row] = await sql<{ id: string }[]>`
    insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
    values ('+15555550142', 'Edge Test', 'Hello from the edge[BUBBLE]Second bubble', now() - interval '1 minute',
            ${campaign})
    returning id`;
  return Number(row.id);
}

function request(method: string, headers: Record<string, string> = {}): Request {
  return new Request(URL_, { method, headers });
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

function includes(actual: string, expected: string, message?: string): void {
  assert.ok(
    actual.includes(expected),
    message ?? `${JSON.stringify(actual)} does not contain ${JSON.stringify(expected)}`,
  );
}

Deno.test("POST promotes a due scheduled message into queued bubbles", async () => {
  await withClients(async ({ admin: sql, edge }) => {
    await openWindowAlways(sql);
    const campaign = `edge-post-${crypto.randomUUID()}`;
    const id = await insertDue(sql, campaign);
    const captured = captureLog();
    const handler = createProcessDueHandler({ sql: edge, serviceRoleKey: KEY, log: captured.log });

    const response = await handler(request("POST", bearer(KEY)));

    assert.deepStrictEqual(response.status, 200);
    assert.deepStrictEqual(response.headers.get("content-type"), "application/json; charset=utf-8");
    const body = await response.json();
    assert.ok(body.processed_count >= 1, `expected at least one promotion, got ${JSON.stringify(body)}`);
    assert.deepStrictEqual(body.error_message, null);
    const [scheduled] = await sql<{ status: string }[]>`select status from public.scheduled_messages where id = ${id}`;
    assert.deepStrictEqual(scheduled.status, "queued");
    const bubbles = await sql<{ bubble_index: number; content: string; status: string }[]>`
      select bubble_index, content, status from public.messages where scheduled_message_id = ${id} order by bubble_index`;
    assert.deepStrictEqual(bubbles.map((b) => [b.bubble_index, b.content.trim(), b.status]), [
      [1, "Hello from the edge", "queued"],
      [2, "Second bubble", "queued"],
    ]);
    assert.deepStrictEqual(captured.lines.map((l) => l.event), ["process_due.promoted"]);
  });
});

Deno.test("GET reports the window, counts, the oldest queued bubble and the listeners", async () => {
  await withClients(async ({ admin: sql, edge }) => {
    await openWindowAlways(sql);
    const id = await insertDue(sql, `edge-get-${crypto.randomUUID()}`);
    const handler = createProcessDueHandler({ sql: edge, serviceRoleKey: KEY, log: captureLog().log });
    assert.deepStrictEqual((await handler(request("POST", bearer(KEY)))).status, 200);
    await sql`select public.record_listener_heartbeat('edge-test-worker',
                '{"registered": true, "signal": 21, "operator": "Test Mobile"}'::jsonb, null, null)`;
    const [expected] = await sql<{ sch: number; queued: number; bubbles: number }[]>`
      select (select count(*)::int from public.scheduled_messages where status = 'SCH') as sch,
             (select count(*)::int from public.scheduled_messages where status = 'queued') as queued,
             (select count(*)::int from public.messages where status = 'queued') as bubbles`;

    const response = await handler(request("GET", bearer(KEY)));

    assert.deepStrictEqual(response.status, 200);
    const body: StatusDocument = await response.json();
    assert.deepStrictEqual(body.window.open, true);
    assert.deepStrictEqual(body.window.time_zone, "America/Los_Angeles");
    assert.match(body.window.local_time, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \w{3}$/);
    assert.ok(body.window.next_opening !== null && Date.parse(body.window.next_opening) > Date.parse(body.now));
    assert.deepStrictEqual(body.scheduled_messages.SCH, expected.sch);
    assert.deepStrictEqual(body.scheduled_messages.queued, expected.queued);
    assert.ok(expected.queued >= 1);
    assert.deepStrictEqual(body.scheduled_messages.sent, 0);
    assert.deepStrictEqual(body.messages.queued, expected.bubbles);
    assert.deepStrictEqual(body.messages.sending, 0);
    assert.ok(body.oldest_queued_bubble !== null, "a queued bubble exists");
    assert.ok(body.oldest_queued_bubble.age_seconds >= 0);
    const [mine] = await sql<{ id: string }[]>`
      select min(id) as id from public.messages where scheduled_message_id = ${id}`;
    assert.ok(body.oldest_queued_bubble.id <= Number(mine.id));
    const listener = body.listeners.find((l) => l.worker_id === "edge-test-worker");
    assert.ok(listener !== undefined, `listener missing from ${JSON.stringify(body.listeners)}`);
    assert.deepStrictEqual((listener.modem_health as { signal: number }).signal, 21);
    assert.ok(listener.seconds_since_heartbeat !== null && listener.seconds_since_heartbeat >= 0);
  });
});

Deno.test("a missing or wrong key is refused with 401 and touches nothing", async () => {
  await withClients(async ({ admin: sql, edge }) => {
    await openWindowAlways(sql);
    const id = await insertDue(sql, `edge-auth-${crypto.randomUUID()}`);
    const handler = createProcessDueHandler({ sql: edge, serviceRoleKey: KEY, log: captureLog().log });
    const sameLength = KEY.slice(0, -1) + (KEY.endsWith("x") ? "y" : "x");
    const refused: Record<string, string>[] = [
      {},
      bearer("wrong"),
      bearer(sameLength),
      bearer(`${KEY}extra`),
      { authorization: KEY }, // not a Bearer credential
      { apikey: sameLength },
      { authorization: "Bearer " },
    ];
    for (const headers of refused) {
      for (const method of ["POST", "GET", "DELETE"]) {
        const response = await handler(request(method, headers));
        assert.deepStrictEqual(response.status, 401, `${method} ${JSON.stringify(headers)}`);
        includes((await response.json()).error, "unauthorized");
        assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer /);
      }
    }
    const [row] = await sql<{ status: string }[]>`select status from public.scheduled_messages where id = ${id}`;
    assert.deepStrictEqual(row.status, "SCH", "a refused POST must not promote anything");

    const viaApikey = await handler(request("GET", { apikey: KEY }));
    assert.deepStrictEqual(viaApikey.status, 200, "the apikey header is accepted too");
    await viaApikey.body?.cancel();
  });
});

Deno.test("an empty expected key is a configuration error at start-up", async () => {
  await withSql((sql) => {
    for (const key of ["", "   "]) {
      let message = "";
      try {
        createProcessDueHandler({ sql, serviceRoleKey: key });
      } catch (error) {
        message = (error as Error).message;
      }
      includes(message, "SUPABASE_SERVICE_ROLE_KEY");
    }
    return Promise.resolve();
  });
});

Deno.test("a wrong method gets 405 with an Allow header", async () => {
  await withSql(async (sql) => {
    const handler = createProcessDueHandler({ sql, serviceRoleKey: KEY, log: captureLog().log });
    for (const method of ["PUT", "DELETE", "PATCH"]) {
      const response = await handler(request(method, bearer(KEY)));
      assert.deepStrictEqual(response.status, 405, method);
      assert.deepStrictEqual(response.headers.get("allow"), "GET, POST");
      includes((await response.json()).error, method);
    }
  });
});

Deno.test("an unreachable database gives a JSON 500 without a stack trace, and is logged", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there any more
  const sql = postgres(`postgresql://postgres@127.0.0.1:${port}/postgres`, { max: 1, connect_timeout: 5 });
  try {
    const captured = captureLog();
    const handler = createProcessDueHandler({ sql, serviceRoleKey: KEY, log: captured.log });
    for (const method of ["POST", "GET"]) {
      const response = await handler(request(method, bearer(KEY)));
      assert.deepStrictEqual(response.status, 500, method);
      const text = await response.text();
      assert.deepStrictEqual(JSON.parse(text), { error: "database error; see the function's logs" });
      assert.ok(!/\bat\s+\S+:\d+/.test(text) && !text.includes("ECONNREFUSED"), `leaked detail: ${text}`);
    }
    assert.deepStrictEqual(captured.lines.map((l) => [l.level, l.event]), [
      ["error", "process_due.database_error"],
      ["error", "process_due.database_error"],
    ]);
    includes(JSON.stringify(captured.lines[0].fields), "ECONNREFUSED");
    assert.ok(!("stack" in captured.lines[0].fields));
  } finally {
    await sql.end({ timeout: 1 });
  }
});

Deno.test("a role without the grant gets a JSON 500 (permission denied is logged, not returned)", async () => {
  // anon must never run the promotion (the migrations revoke it): the handler reports a database error.
  await withSql(async (sql) => {
    const captured = captureLog();
    const handler = createProcessDueHandler({ sql, serviceRoleKey: KEY, log: captured.log });
    const response = await handler(request("POST", bearer(KEY)));
    assert.deepStrictEqual(response.status, 500);
    assert.deepStrictEqual(await response.json(), { error: "database error; see the function's logs" });
    assert.deepStrictEqual(captured.lines.length, 1);
    includes(String(captured.lines[0].fields.error), "permission denied");
    assert.deepStrictEqual(captured.lines[0].fields.code, "42501");
  }, { connection: { role: "anon" } });
});

Deno.test("a failure caught by process_scheduled_messages_safe() is a 500 carrying its error_message", async () => {
  await withClients(async ({ admin: sql, edge }) => {
    await openWindowAlways(sql);
    const campaign = `edge-fail-${crypto.randomUUID()}`;
    // A failure outside the per-row handling of process_scheduled_messages() (here: its pacing
    // bookkeeping refuses to be written) reaches the safe wrapper, which reports it in error_message.
    await sql.begin(async (tx) => {
      await tx.unsafe(`
        create or replace function public.edge_test_refuse() returns trigger language plpgsql as $$
        begin raise exception 'edge test refuses the pacing update'; end $$`);
      await tx.unsafe(`create trigger edge_test_refuse before insert or update on internal.campaign_pacing
                       for each row execute function public.edge_test_refuse()`);
    });
    try {
      const id = await insertDue(sql, campaign);
      const captured = captureLog();
      const handler = createProcessDueHandler({ sql: edge, serviceRoleKey: KEY, log: captured.log });
      const response = await handler(request("POST", bearer(KEY)));
      assert.deepStrictEqual(response.status, 500);
      const body = await response.json();
      includes(String(body.error_message), "edge test refuses the pacing update");
      assert.deepStrictEqual(body.error, body.error_message);
      const [row] = await sql<{ status: string }[]>`select status from public.scheduled_messages where id = ${id}`;
      assert.deepStrictEqual(row.status, "SCH", "the failed promotion rolled back");
      assert.deepStrictEqual(captured.lines.map((l) => l.event), ["process_due.promotion_failed"]);
      await sql`delete from public.scheduled_messages where id = ${id}`;
    } finally {
      await sql.unsafe(
        `drop trigger edge_test_refuse on internal.campaign_pacing; drop function public.edge_test_refuse()`,
      );
    }
  });
});

Deno.test("the edge role cannot read phone numbers, names or texts, nor change messages", async () => {
  await withClients(async ({ admin, edge }) => {
    const id = await insertDue(admin, `edge-least-${crypto.randomUUID()}`);
    const refused = [
      "select phone_number from public.scheduled_messages",
      "select customer_name, message_content from public.scheduled_messages",
      "select phone_number, content from public.messages",
      "select phone_number from public.campaign_messages",
      "select * from public.scheduled_messages_pst",
      "select * from public.listener_status",
      "select phone_number, body from public.inbound_messages",
      "select * from public.opt_outs",
      "select * from public.recipient_rules",
      `update public.scheduled_messages set status = 'cancelled' where id = ${id}`,
      "update public.messages set status = 'sent'",
      "delete from public.messages",
      "insert into public.messages (phone_number, content) values ('+15555550100', 'forged')",
      "update public.send_window set opens_at = '00:00'",
      "truncate public.messages",
      "select public.process_scheduled_messages()",
      "select * from public.claim_next_bubble('edge')",
    ];
    for (const statement of refused) {
      await assert.rejects(edge.unsafe(statement), (error: { code?: string }) => {
        assert.deepStrictEqual(error.code, "42501", statement);
        return true;
      }, statement);
    }
    const [row] = await admin<{ status: string }[]>`select status from public.scheduled_messages where id = ${id}`;
    assert.deepStrictEqual(row.status, "SCH");
    assert.deepStrictEqual(await findExcessPrivilege(edge), null);
  });
});

Deno.test("a handler connected as the database owner refuses to run, and says how to fix it", async () => {
  await withSql(async (sql) => {
    await openWindowAlways(sql);
    const id = await insertDue(sql, `edge-owner-${crypto.randomUUID()}`);
    const captured = captureLog();
    const handler = createProcessDueHandler({ sql, serviceRoleKey: KEY, log: captured.log });
    for (const method of ["POST", "GET"]) {
      const response = await handler(request(method, bearer(KEY)));
      assert.deepStrictEqual(response.status, 500, method);
      includes((await response.json()).error, "more privilege than it needs");
    }
    const [row] = await sql<{ status: string }[]>`select status from public.scheduled_messages where id = ${id}`;
    assert.deepStrictEqual(row.status, "SCH", "nothing was promoted through the owner's connection");
    assert.deepStrictEqual(captured.lines.map((l) => l.event), [
      "process_due.overprivileged_role",
      "process_due.overprivileged_role",
    ]);
    assert.deepStrictEqual(captured.lines[0].fields.role, "postgres");
    includes(String(captured.lines[0].fields.reason), "superuser");
    includes(String(captured.lines[0].fields.fix), "PROCESS_DUE_DB_URL");
    await sql`delete from public.scheduled_messages where id = ${id}`;
  });
});

Deno.test("a role that bypasses RLS, or can read even one column, is refused too", async () => {
  await withSql(async (sql) => {
    assert.deepStrictEqual(await findExcessPrivilege(sql), {
      role: "service_role",
      reason: "it bypasses row level security",
    });
  }, { connection: { role: "service_role" } });
  await withSql(async (admin) => {
    const role = `edge_test_column_${crypto.randomUUID().replaceAll("-", "")}`;
    await admin.unsafe(`create role ${role} nologin in role ${EDGE_ROLE}`);
    await admin.unsafe(`grant select (worker_id) on public.listener_status to ${role}`);
    try {
      await withSql(async (sql) => {
        assert.deepStrictEqual(await findExcessPrivilege(sql), {
          role,
          reason: "it can read or change public.listener_status directly",
        });
      }, { connection: { role } });
    } finally {
      await admin.unsafe(`revoke all on public.listener_status from ${role}`);
      await admin.unsafe(`drop role ${role}`);
    }
  });
});
