/**
 * Edge function `process-due`: POST promotes due scheduled messages (for projects without pg_cron or
 * with an external scheduler), GET returns a status document for monitors. See docs/edge-function.md.
 */
import postgres from "npm:postgres@3.4.9";

import { createProcessDueHandler } from "../_shared/process_due.ts";

function required(name: string): string {
  const value = Deno.env.get(name);
  if (value === undefined || value.trim() === "") {
    throw new Error(`${name} is not set; Supabase sets it for deployed edge functions`);
  }
  return value;
}

// prepare: false keeps the client usable through Supavisor's transaction mode as well.
const sql = postgres(required("SUPABASE_DB_URL"), { prepare: false, max: 2, idle_timeout: 20 });

Deno.serve(createProcessDueHandler({ sql, serviceRoleKey: required("SUPABASE_SERVICE_ROLE_KEY") }));
