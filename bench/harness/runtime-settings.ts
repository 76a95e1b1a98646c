/** What the runtime part's scenarios do (bench/harness/runtime-child.ts); written into the results with every run. */
export const RUNTIME_PROJECT = "switchyard-bench-runtime";
export const RUNTIME_SCENARIOS = ["zonal", "hpa"] as const;
export type RuntimeScenario = (typeof RUNTIME_SCENARIOS)[number];

export const RUNTIME_SETTINGS = {
  /** The FailoverGroup: replicas over these zones. */
  replicas: 4,
  zones: ["zone-a", "zone-b"],
  /** Throughput: closed loops, each a new connection per request, no pause; after an untimed warm-up. */
  concurrency: 8,
  seconds: 10,
  warmupSeconds: 2,
  /** Continuous traffic during the rollout and the zone loss: loops, pause between a loop's requests. */
  trafficConcurrency: 4,
  trafficPauseMs: 10,
  drainedNode: "real-a",
  /** The AutoScaledService and its load: a `GET /work?ms=burnMs` every `everyMs` (open loop), at most `maxInFlight` waiting. */
  hpa: {
    cpuRequest: "50m",
    cpuUtilization: 50,
    minReplicas: 1,
    maxReplicas: 3,
    scaleDownWindowSeconds: 15,
    burnMs: 200,
    everyMs: 250,
    maxInFlight: 8,
    /** Load kept on after the first scale-out is Ready. */
    holdSeconds: 15,
  },
} as const;
