/**
 * The `process-due` edge function's handler, built from its dependencies so tests can run it against
 * a real database without a web server.
 *
 * Why an edge function at all: pg_cron promotes due messages every minute on a hosted project, but a
 * project without pg_cron (or an operator who prefers an external scheduler) needs another trigger,
 * and monitors need one status document. Both go through the same SQL the cron job uses
 * (`process_scheduled_messages_safe()`), so nothing here decides what is due.
 */
import type postgres from "npm:postgres@3.4.9";

import { keyMatches, makeKeyVerifier } from "./auth.ts";

/** The postgres.js client type (`postgres(url)` returns one). */
export type SqlClient = postgres.Sql;

/** One structured log line; must never contain the key or a full phone number. */
export type LogFn = (level: "info" | "warn" | "error", event: string, fields: Record<string, unknown>) => void;

export interface HandlerOptions {
  /** Database client, connected as sms_edge_promoter (PROCESS_DUE_DB_URL in a deployed function). */
  sql: SqlClient;
  /** The project's service role key; every request must present exactly this key. */
  serviceRoleKey: string;
  /** Where log lines go (default: one JSON object per line on stderr). */
  log?: LogFn;
}

/** Statuses from the SQL contract, reported even when their count is zero so monitors see a stable shape. */
export const SCHEDULED_STATUSES = ["SCH", "queued", "sent", "failed", "cancelled"] as const;
export const MESSAGE_STATUSES = ["queued", "sending", "sent", "failed", "unknown", "cancelled"] as const;

export const ALLOWED_METHODS = "GET, POST";

/** The row `process_scheduled_messages_safe()` returns. */
export interface PromotionResult {
  processed_count: number;
  error_message: string | null;
  skipped_reason: string | null;
}

export interface ListenerReport {
  worker_id: string;
  last_seen_at: string | null;
  seconds_since_heartbeat: number | null;
  started_at: string | null;
  last_sent_at: string | null;
  queue_depth: number | null;
  modem_health: unknown;
}

export interface StatusDocument {
  now: string;
  window: {
    time_zone: string;
    open: boolean;
    local_time: string;
    next_opening: string | null;
    next_opening_local: string | null;
  };
  scheduled_messages: Record<string, number>;
  messages: Record<string, number>;
  oldest_queued_bubble: { id: number; queued_at: string; age_seconds: number } | null;
  listeners: ListenerReport[];
}

export const defaultLog: LogFn = (level, event, fields) => {
  const line = JSON.stringify({ level, event, time: new Date().toISOString(), ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
};

function json(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

/** The key a request presents: `Authorization: Bearer <key>` wins over the `apikey` header. */
export function presentedKey(request: Request): string | null {
  const authorization = request.headers.get("authorization");
  if (authorization !== null) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const apikey = request.headers.get("apikey");
  return apikey !== null && apikey.trim() !== "" ? apikey.trim() : null;
}

function tally(found: Record<string, number>, known: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(known.map((status) => [status, 0]));
  for (const [status, count] of Object.entries(found)) counts[status] = Number(count);
  return counts;
}

/** Runs the same promotion the pg_cron job runs, at the database's own clock. */
export async function promoteDue(sql: SqlClient): Promise<PromotionResult> {
  const rows = await sql<PromotionResult[]>`
    select processed_count, error_message, skipped_reason
    from public.process_scheduled_messages_safe()`;
  if (rows.length !== 1) {
    throw new Error(`process_scheduled_messages_safe() returned ${rows.length} rows, expected 1`);
  }
  const row = rows[0];
  return {
    processed_count: Number(row.processed_count),
    error_message: row.error_message,
    skipped_reason: row.skipped_reason,
  };
}

/** The JSON `process_due_status()` returns (timestamps as ISO strings with an offset). */
interface StatusRow {
  now: string;
  time_zone: string;
  open: boolean;
  local_time: string;
  next_opening: string | null;
  next_opening_local: string | null;
  scheduled_messages: Record<string, number>;
  messages: Record<string, number>;
  oldest_queued_bubble: { id: number; queued_at: string; age_seconds: number } | null;
  listeners: {
    worker_id: string;
    last_seen_at: string | null;
    seconds_since_heartbeat: number | null;
    started_at: string | null;
    last_sent_at: string | null;
    queue_depth: number | null;
    modem_health: unknown;
  }[];
}

/**
 * Reads the status document through `process_due_status()`: one statement, so one snapshot (the counts
 * and ages agree with each other), and the only read the function's role may make (it cannot read the
 * tables, so it never sees a phone number or a text).
 */
export async function readStatus(sql: SqlClient): Promise<StatusDocument> {
  const [row] = await sql<{ status: StatusRow | null }[]>`select public.process_due_status() as status`;
  const head = row?.status ?? null;
  if (head === null) throw new Error("send_window has no settings row");
  const iso = (value: string | null): string | null => (value === null ? null : new Date(value).toISOString());
  return {
    now: new Date(head.now).toISOString(),
    window: {
      time_zone: head.time_zone,
      open: head.open,
      local_time: head.local_time,
      next_opening: iso(head.next_opening),
      next_opening_local: head.next_opening_local,
    },
    scheduled_messages: tally(head.scheduled_messages, SCHEDULED_STATUSES),
    messages: tally(head.messages, MESSAGE_STATUSES),
    oldest_queued_bubble: head.oldest_queued_bubble === null ? null : {
      id: Number(head.oldest_queued_bubble.id),
      queued_at: new Date(head.oldest_queued_bubble.queued_at).toISOString(),
      age_seconds: Math.max(0, Number(head.oldest_queued_bubble.age_seconds)),
    },
    listeners: head.listeners.map((listener) => ({
      worker_id: listener.worker_id,
      last_seen_at: iso(listener.last_seen_at),
      seconds_since_heartbeat: listener.seconds_since_heartbeat === null
        ? null
        : Number(listener.seconds_since_heartbeat),
      started_at: iso(listener.started_at),
      last_sent_at: iso(listener.last_sent_at),
      queue_depth: listener.queue_depth === null ? null : Number(listener.queue_depth),
      modem_health: listener.modem_health,
    })),
  };
}

/** Why the connection's role has more privilege than the function needs, or null when it has not. */
export interface PrivilegeFinding {
  role: string;
  reason: string;
}

/**
 * The function must not run as the database owner (or any role that can read or change the tables):
 * a bug or a leaked secret would then reach every customer's phone number. It needs only EXECUTE on
 * process_scheduled_messages_safe() and process_due_status() (role sms_edge_promoter). Checked in the
 * catalogue, so a connection string pointing at the wrong role is refused before it is used.
 */
export async function findExcessPrivilege(sql: SqlClient): Promise<PrivilegeFinding | null> {
  const [row] = await sql<{ role: string; superuser: boolean; bypassrls: boolean; reachable: string | null }[]>`
    select current_user::text as role, r.rolsuper as superuser, r.rolbypassrls as bypassrls,
           (select 'public.' || pg_catalog.quote_ident(c.relname)
              from pg_catalog.pg_class c
             where c.relnamespace = 'public'::regnamespace
               and c.relkind in ('r', 'p', 'v', 'm', 'f')
               and (pg_catalog.has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE')
                    or pg_catalog.has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE'))
             order by c.relname
             limit 1) as reachable
      from pg_catalog.pg_roles r
     where r.rolname = current_user`;
  if (row === undefined) return { role: "(unknown)", reason: "the connection's role is not in pg_roles" };
  if (row.superuser) return { role: row.role, reason: "it is a superuser" };
  if (row.bypassrls) return { role: row.role, reason: "it bypasses row level security" };
  if (row.reachable !== null) {
    return { role: row.role, reason: `it can read or change ${row.reachable} directly` };
  }
  return null;
}

/** A short, stack-free description of a database failure for the log (the client sees less). */
function describe(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { error: error.message, error_name: error.name, ...(typeof code === "string" ? { code } : {}) };
  }
  return { error: String(error) };
}

/** Builds the request handler. Throws at once when the expected key is empty (a misconfigured deployment). */
export function createProcessDueHandler(options: HandlerOptions): (request: Request) => Promise<Response> {
  const log = options.log ?? defaultLog;
  const verifier = makeKeyVerifier(options.serviceRoleKey);
  // Checked once per handler (an edge worker lives minutes); a failed check is retried next request.
  let privilegeChecked = false;

  return async (request: Request): Promise<Response> => {
    const key = presentedKey(request);
    if (key === null || !(await keyMatches(verifier, key))) {
      log("warn", "process_due.unauthorized", { method: request.method, key_present: key !== null });
      return json({ error: "unauthorized: send the service role key as 'Authorization: Bearer <key>'" }, 401, {
        "www-authenticate": 'Bearer realm="process-due"',
      });
    }
    if (request.method !== "GET" && request.method !== "POST") {
      return json({ error: `method ${request.method} not allowed; use GET (status) or POST (promote)` }, 405, {
        allow: ALLOWED_METHODS,
      });
    }
    try {
      if (!privilegeChecked) {
        const excess = await findExcessPrivilege(options.sql);
        if (excess !== null) {
          log("error", "process_due.overprivileged_role", {
            role: excess.role,
            reason: excess.reason,
            fix: "connect as sms_edge_promoter: set the function secret PROCESS_DUE_DB_URL (docs/edge-function.md)",
          });
          return json({
            error: "the function's database role has more privilege than it needs; see the function's logs",
          }, 500);
        }
        privilegeChecked = true;
      }
      if (request.method === "POST") {
        const result = await promoteDue(options.sql);
        if (result.error_message !== null) {
          // The SQL function caught a failure and reported it: tell an external scheduler (curl --fail).
          log("error", "process_due.promotion_failed", { error: result.error_message });
          return json({ ...result, error: result.error_message }, 500);
        }
        log("info", "process_due.promoted", {
          processed_count: result.processed_count,
          skipped_reason: result.skipped_reason,
        });
        return json(result, 200);
      }
      return json(await readStatus(options.sql), 200);
    } catch (error) {
      log("error", "process_due.database_error", { method: request.method, ...describe(error) });
      return json({ error: "database error; see the function's logs" }, 500);
    }
  };
}
