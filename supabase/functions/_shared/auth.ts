/**
 * Constant-time check of the service role key.
 *
 * Why HMAC first: comparing the raw strings leaks their length and the position of the first
 * difference through timing. Both sides are reduced to 32-byte HMAC-SHA256 digests under a random
 * per-process key and compared with `timingSafeEqual`, so the time taken depends on neither.
 */
import { timingSafeEqual } from "node:crypto";

export interface KeyVerifier {
  hmacKey: Promise<CryptoKey>;
  expectedDigest: Promise<Uint8Array>;
}

const encoder = new TextEncoder();

async function digest(hmacKey: CryptoKey, value: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", hmacKey, encoder.encode(value)));
}

/** Prepares the verifier for one expected key; an empty key is a deployment error, refused at once. */
export function makeKeyVerifier(expectedKey: string): KeyVerifier {
  if (expectedKey.trim() === "") {
    throw new Error("the service role key is empty: set SUPABASE_SERVICE_ROLE_KEY");
  }
  const hmacKey = crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return { hmacKey, expectedDigest: hmacKey.then((k) => digest(k, expectedKey)) };
}

/** True when `presented` equals the expected key; time independent of where they differ. */
export async function keyMatches(verifier: KeyVerifier, presented: string): Promise<boolean> {
  const [hmacKey, expected] = await Promise.all([verifier.hmacKey, verifier.expectedDigest]);
  const actual = await digest(hmacKey, presented);
  return timingSafeEqual(actual, expected);
}
