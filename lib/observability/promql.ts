/**
 * Small PromQL builders: selectors with escaped label values. Pure.
 */

/** A label matcher: `=` by default, `=~` for a regular expression. */
export type Matcher = string | { readonly re: string };

/** Escapes a string for a double-quoted PromQL string literal. */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/** `metric{label="value",...}` with the labels in the order given. */
export function selector(metric: string, labels: Record<string, Matcher | undefined>): string {
  const parts = Object.entries(labels)
    .filter((e): e is [string, Matcher] => e[1] !== undefined)
    .map(([k, v]) => (typeof v === "string" ? `${k}=${quote(v)}` : `${k}=~${quote(v.re)}`));
  return `${metric}{${parts.join(",")}}`;
}

/** Escapes a string for use inside a RE2 regular expression. */
export function reEscape(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Regular expression matching the pods of a Deployment: `<deployment>-<pod
 * template hash>-<5 random characters>` (the ReplicaSet's name plus the
 * pod's generated suffix).
 */
export function deploymentPods(deployment: string): { re: string } {
  return { re: `${reEscape(deployment)}-[a-z0-9]+-[a-z0-9]+` };
}
