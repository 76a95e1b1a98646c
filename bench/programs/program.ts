/**
 * The benchmark's programs by name, for the child processes:
 *   switchyard   bench/programs/switchyard.ts
 *   handwritten  bench/programs/handwritten.ts
 *   grouped      the hand-written program with one plain ComponentResource per service
 */
import type { AppSpec } from "./spec";

export const PROGRAMS = ["switchyard", "handwritten", "grouped"] as const;
export type Program = (typeof PROGRAMS)[number];

export function isProgram(s: string | undefined): s is Program {
  return (PROGRAMS as readonly string[]).includes(s ?? "");
}

/** Runs a program. It is loaded here, on first use, so its loading counts as part of the program. */
export function runProgram(program: Program, spec: AppSpec): void {
  if (program === "switchyard") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require("./switchyard") as typeof import("./switchyard")).switchyardProgram(spec);
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require("./handwritten") as typeof import("./handwritten")).handwrittenProgram(spec, { grouped: program === "grouped" });
  }
}

/**
 * One registration as the benchmark compares them: type and canonical JSON of
 * the inputs (object keys sorted; secrets stay wire secrets, so secretness must
 * match too).
 */
export function registrationLine(type: string, inputs: unknown): string {
  return `${type} ${canonical(inputs)}`;
}

/** JSON with object keys sorted, so equal inputs give equal text. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}
