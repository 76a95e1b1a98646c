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
