import { request } from "node:http";

export interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One GET on a new connection (no keep-alive: kube-proxy picks a backend per connection). */
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

/** A JSON answer's body, or a failed expectation with the answer in it. */
export async function getJson(url: string, timeoutMs = 5000): Promise<any> {
  const a = await get(url, timeoutMs);
  if (a.status !== 200) throw new Error(`GET ${url}: HTTP ${a.status}: ${a.body}`);
  return JSON.parse(a.body);
}

export interface TrafficResult {
  readonly ok: number;
  readonly failed: number;
  /** The first failures (status or error text), for the report. */
  readonly failures: readonly string[];
  /** Who answered: the `pod` field of each 200 answer, counted. */
  readonly pods: ReadonlyMap<string, number>;
}

/**
 * Continuous traffic: `concurrency` loops each sending one GET after another
 * (a pause of `pauseMs` between), until `stop()`.
 */
export function traffic(url: string, { concurrency = 2, pauseMs = 20, timeoutMs = 5000, podOf = (b: any) => b?.pod as string | undefined } = {}) {
  let running = true;
  let ok = 0;
  let failed = 0;
  const failures: string[] = [];
  const pods = new Map<string, number>();
  const loop = async () => {
    while (running) {
      try {
        const a = await get(url, timeoutMs);
        if (a.status === 200) {
          ok++;
          let pod: string | undefined;
          try {
            pod = podOf(JSON.parse(a.body));
          } catch {
            pod = undefined;
          }
          if (pod) pods.set(pod, (pods.get(pod) ?? 0) + 1);
        } else {
          failed++;
          if (failures.length < 10) failures.push(`HTTP ${a.status}: ${a.body.slice(0, 200)}`);
        }
      } catch (e) {
        failed++;
        if (failures.length < 10) failures.push(String(e));
      }
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    async stop(): Promise<TrafficResult> {
      running = false;
      await Promise.all(loops);
      return { ok, failed, failures, pods };
    },
    snapshot: () => ({ ok, failed }),
  };
}
