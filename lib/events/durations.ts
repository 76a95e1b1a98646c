/**
 * Durations and sizes as users write them ("30s", "5m", "7d", "1Gi") and as
 * each broker wants them (Go durations for NACK, milliseconds for Kafka and
 * RabbitMQ, whole seconds for KEDA). Pure.
 */

/** A duration: a string such as "500ms", "30s", "5m", "2h", "7d" (combinable: "1m30s"), or a number of seconds. */
export type Duration = string | number;

/** A size: a number of bytes, or a string such as "512KiB", "10MB", "1Gi". */
export type Size = number | string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:ms|s|m|h|d))+$/;

/** Milliseconds of a duration, or undefined when it is not one. */
export function toMillis(d: Duration): number | undefined {
  if (typeof d === "number") return Number.isFinite(d) && d >= 0 ? Math.round(d * 1000) : undefined;
  if (typeof d !== "string" || !DURATION.test(d)) return undefined;
  let total = 0;
  for (const [, n, unit] of d.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(n) * UNIT_MS[unit!]!;
  return total;
}

/** A Go duration (`time.ParseDuration`): the largest whole unit, no days ("168h"). */
export function goDuration(ms: number): string {
  if (ms === 0) return "0s";
  for (const [unit, size] of [["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A short human form for messages and documents ("30s", "7d"). */
export function showDuration(ms: number): string {
  if (ms !== 0 && ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  return goDuration(ms);
}

const SIZE = /^(\d+)\s*(B|K|KB|KiB|Ki|M|MB|MiB|Mi|G|GB|GiB|Gi|T|TB|TiB|Ti)?$/;
const SIZE_FACTOR: Record<string, number> = {
  B: 1,
  K: 1e3, KB: 1e3, M: 1e6, MB: 1e6, G: 1e9, GB: 1e9, T: 1e12, TB: 1e12,
  Ki: 1024, KiB: 1024, Mi: 1024 ** 2, MiB: 1024 ** 2, Gi: 1024 ** 3, GiB: 1024 ** 3, Ti: 1024 ** 4, TiB: 1024 ** 4,
};

/** Bytes of a size, or undefined when it is not one. */
export function toBytes(s: Size): number | undefined {
  if (typeof s === "number") return Number.isInteger(s) && s >= 0 ? s : undefined;
  const m = typeof s === "string" ? SIZE.exec(s.trim()) : null;
  if (!m) return undefined;
  return Number(m[1]) * SIZE_FACTOR[m[2] ?? "B"]!;
}
