/**
 * HTTP load for the runtime part: every request on a new connection (no
 * keep-alive: kube-proxy picks a backend per connection, so a Service's
 * replicas share the requests), each answer recorded with its completion
 * time, latency and the pod that answered. (test/e2e/support/http.ts has the
 * same `get`; the benchmark's build compiles bench/ only, so it has its own.)
 */
import { request } from "node:http";

export interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One GET on a new connection. */
export function get(url: string, timeoutMs = 5000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** One request as the load saw it. */
export interface Sample {
  /** Completion time, `performance.now()` of this process. */
  readonly at: number;
  /** Latency, milliseconds. */
  readonly ms: number;
  readonly ok: boolean;
  /** The answer's `pod` and `version` (the reference application's `GET /`). */
  readonly pod?: string;
  readonly version?: string;
  /** Status or error text of a failed request. */
  readonly error?: string;
}

async function once(url: string, timeoutMs: number): Promise<Sample> {
  const t0 = performance.now();
  try {
    const a = await get(url, timeoutMs);
    const at = performance.now();
    if (a.status !== 200) return { at, ms: at - t0, ok: false, error: `HTTP ${a.status}: ${a.body.slice(0, 200)}` };
    let body: { pod?: string; version?: string } = {};
    try {
      body = JSON.parse(a.body) as typeof body;
    } catch {
      // not JSON: still an answer
    }
    return { at, ms: at - t0, ok: true, ...(body.pod ? { pod: body.pod } : {}), ...(body.version ? { version: body.version } : {}) };
  } catch (e) {
    const at = performance.now();
    return { at, ms: at - t0, ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Closed-loop load: `concurrency` loops, each sending its next GET when the
 * last one is answered (after `pauseMs`), until `stop()`.
 */
export function loops(url: string, { concurrency, pauseMs = 0, timeoutMs = 5000 }: { concurrency: number; pauseMs?: number; timeoutMs?: number }) {
  let running = true;
  const samples: Sample[] = [];
  const loop = async () => {
    while (running) {
      samples.push(await once(url, timeoutMs));
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      // (yield to timers and I/O between requests even without a pause)
      else await new Promise((r) => setImmediate(r));
    }
  };
  const all = Array.from({ length: concurrency }, loop);
  return {
    samples,
    async stop(): Promise<Sample[]> {
      running = false;
      await Promise.all(all);
      return samples;
    },
  };
}

/**
 * Open-loop load: a GET every `everyMs` whatever the answers, at most
 * `maxInFlight` at a time (a tick with that many waiting sends nothing).
 */
export function openLoop(url: string, { everyMs, maxInFlight, timeoutMs = 20_000 }: { everyMs: number; maxInFlight: number; timeoutMs?: number }) {
  const samples: Sample[] = [];
  const pending = new Set<Promise<void>>();
  let skipped = 0;
  const timer = setInterval(() => {
    if (pending.size >= maxInFlight) {
      skipped++;
      return;
    }
    const p: Promise<void> = once(url, timeoutMs).then((s) => {
      samples.push(s);
      pending.delete(p);
    });
    pending.add(p);
  }, everyMs);
  return {
    samples,
    async stop(): Promise<{ samples: Sample[]; skipped: number }> {
      clearInterval(timer);
      await Promise.all([...pending]);
      return { samples, skipped };
    },
  };
}

export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Counts of a set of samples, with the first failures' texts. */
export function tally(samples: readonly Sample[]) {
  const failed = samples.filter((s) => !s.ok);
  const pods = new Map<string, number>();
  for (const s of samples) if (s.pod) pods.set(s.pod, (pods.get(s.pod) ?? 0) + 1);
  return {
    requests: samples.length,
    ok: samples.length - failed.length,
    failed: failed.length,
    failures: failed.slice(0, 5).map((s) => s.error ?? ""),
    /** Answered requests that took over a second (a connection's setup retried, typically). */
    over1s: samples.filter((s) => s.ok && s.ms > 1000).length,
    pods: Object.fromEntries([...pods.entries()].sort()),
  };
}
