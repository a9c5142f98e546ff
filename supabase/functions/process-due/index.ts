/**
 * Edge function `process-due`: POST promotes due scheduled messages (for projects without pg_cron or
 * with an external scheduler), GET returns a status document for monitors. See docs/edge-function.md.
 */
import postgres from "npm:postgres@3.4.9";

import { createProcessDueHandler } from "../_shared/process_due.ts";

function required(name: string, why: string): string {
  const value = Deno.env.get(name);
  if (value === undefined || value.trim() === "") {
    throw new Error(`${name} is not set; ${why}`);
  }
  return value;
}

// Not SUPABASE_DB_URL: that one is the database owner. The function connects as sms_edge_promoter,
// which may only promote and read the status summary (docs/edge-function.md, "Deploying").
// prepare: false keeps the client usable through Supavisor's transaction mode as well.
const sql = postgres(
  required(
    "PROCESS_DUE_DB_URL",
    "set it with `supabase secrets set PROCESS_DUE_DB_URL=...` to a connection string for the role " +
      "sms_edge_promoter (docs/edge-function.md)",
  ),
  { prepare: false, max: 2, idle_timeout: 20 },
);

const serviceRoleKey = required("SUPABASE_SERVICE_ROLE_KEY", "Supabase sets it for deployed edge functions");
Deno.serve(createProcessDueHandler({ sql, serviceRoleKey }));
