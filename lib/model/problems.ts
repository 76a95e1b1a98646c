/**
 * Validation results shared by every rule. Rules never throw: they collect
 * every problem so a user sees all of them in one run.
 */
export interface Problem {
  /** Dotted path of the offending argument, e.g. `autoscaling.maxReplicas`. */
  readonly property: string;
  /** Full sentence: the property in backticks, the value, and the fix. */
  readonly message: string;
}

export class Problems {
  private readonly items: Problem[] = [];

  add(property: string, message: string): void {
    this.items.push({ property, message });
  }

  addAll(problems: readonly Problem[]): void {
    this.items.push(...problems);
  }

  get list(): readonly Problem[] {
    return this.items;
  }
}

/** Renders a value for an error message: strings quoted, others as JSON. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "undefined";
  return JSON.stringify(value);
}

/** True when a value is known at construction time (not an Output or Promise). */
export function isPlain(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value !== "object") return true;
  if (typeof (value as { then?: unknown }).then === "function") return false;
  if ((value as Record<string, unknown>).__pulumiOutput === true) return false;
  return true;
}

/** Formats the summary line of an error that lists several problems. */
export function summarize(type: string, name: string, problems: readonly Problem[]): string {
  const head = `${type} "${name}" has ${problems.length} invalid argument${problems.length === 1 ? "" : "s"}:`;
  return [head, ...problems.map((p) => `  - ${p.message}`)].join("\n");
}
