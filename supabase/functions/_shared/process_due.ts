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
  /** Database client (SUPABASE_DB_URL in a deployed function). */
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

function tally(rows: readonly { status: string; count: number }[], known: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(known.map((status) => [status, 0]));
  for (const row of rows) counts[row.status] = Number(row.count);
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

/** Reads the status document in one read-only snapshot, so the counts and ages agree with each other. */
export function readStatus(sql: SqlClient): Promise<StatusDocument> {
  return sql.begin("isolation level repeatable read read only", async (tx) => {
    const [head] = await tx<
      {
        now: Date;
        time_zone: string;
        open: boolean;
        local_time: string;
        next_opening: Date | null;
        next_opening_local: string | null;
      }[]
    >`
      select now() as now,
             w.time_zone,
             public.is_business_hours(now()) as open,
             to_char(now() at time zone w.time_zone, 'YYYY-MM-DD HH24:MI:SS Dy') as local_time,
             n.next_opening,
             to_char(n.next_opening at time zone w.time_zone, 'YYYY-MM-DD HH24:MI:SS Dy') as next_opening_local
      from public.send_window w
      cross join lateral (select public.next_window_opening(now()) as next_opening) n
      limit 1`;
    if (head === undefined) throw new Error("send_window has no settings row");
    const scheduled = await tx<{ status: string; count: number }[]>`
      select status, count(*)::int as count from public.scheduled_messages group by status`;
    const bubbles = await tx<{ status: string; count: number }[]>`
      select status, count(*)::int as count from public.messages group by status`;
    const oldest = await tx<{ id: string; created_at: Date; age_seconds: number }[]>`
      select id, created_at, extract(epoch from now() - created_at)::float8 as age_seconds
      from public.messages
      where status = 'queued'
      order by created_at, id
      limit 1`;
    const listeners = await tx<
      {
        worker_id: string;
        last_seen_at: Date | null;
        seconds_since_heartbeat: number | null;
        started_at: Date | null;
        last_sent_at: Date | null;
        queue_depth: number | null;
        modem_health: unknown;
      }[]
    >`
      select worker_id, last_seen_at,
             extract(epoch from now() - last_seen_at)::float8 as seconds_since_heartbeat,
             started_at, last_sent_at, queue_depth, modem_health
      from public.listener_status
      order by worker_id`;
    const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());
    return {
      now: head.now.toISOString(),
      window: {
        time_zone: head.time_zone,
        open: head.open,
        local_time: head.local_time,
        next_opening: iso(head.next_opening),
        next_opening_local: head.next_opening_local,
      },
      scheduled_messages: tally(scheduled, SCHEDULED_STATUSES),
      messages: tally(bubbles, MESSAGE_STATUSES),
      oldest_queued_bubble: oldest.length === 0 ? null : {
        id: Number(oldest[0].id),
        queued_at: oldest[0].created_at.toISOString(),
        age_seconds: Math.max(0, Number(oldest[0].age_seconds)),
      },
      listeners: listeners.map((row) => ({
        worker_id: row.worker_id,
        last_seen_at: iso(row.last_seen_at),
        seconds_since_heartbeat: row.seconds_since_heartbeat === null ? null : Number(row.seconds_since_heartbeat),
        started_at: iso(row.started_at),
        last_sent_at: iso(row.last_sent_at),
        queue_depth: row.queue_depth === null ? null : Number(row.queue_depth),
        modem_health: row.modem_health,
      })),
    };
  });
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
