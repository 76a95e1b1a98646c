import type { Selector } from "../../support/promql";

/**
 * What a Prometheus server would store from one scrape, and which of it a
 * PromQL vector selector selects. A small reader of the Prometheus text
 * exposition format (version 0.0.4: `name{label="value",...} value [timestamp]`,
 * `#` lines skipped) and the selector semantics of Prometheus: `=`/`!=`
 * compare the label's value ("" when the series lacks the label), `=~`/`!~`
 * match a fully anchored RE2 expression.
 */

export interface Series {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** Every sample of a text-format scrape. Throws on a line it cannot read, quoting it. */
export function parseExposition(text: string): Series[] {
  const out: Series[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    out.push(parseLine(line));
  }
  return out;
}

function parseLine(line: string): Series {
  const fail = (why: string) => new Error(`cannot read exposition line (${why}): ${line}`);
  const name = NAME.exec(line)?.[0];
  if (!name) throw fail("no metric name");
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === "{") {
    i++;
    for (;;) {
      while (line[i] === " " || line[i] === ",") i++;
      if (line[i] === "}") {
        i++;
        break;
      }
      const label = LABEL.exec(line.slice(i))?.[0];
      if (!label) throw fail(`no label name at ${i}`);
      i += label.length;
      if (line[i] !== "=" || line[i + 1] !== '"') throw fail(`no ="value" after ${label}`);
      i += 2;
      let value = "";
      for (;;) {
        const c = line[i++];
        if (c === undefined) throw fail("unterminated label value");
        if (c === '"') break;
        if (c === "\\") {
          const e = line[i++];
          value += e === "n" ? "\n" : e === "\\" ? "\\" : e === '"' ? '"' : `\\${e ?? ""}`;
        } else value += c;
      }
      labels[label] = value;
    }
  }
  const [v] = line.slice(i).trim().split(/\s+/);
  const value = v === "+Inf" ? Infinity : v === "-Inf" ? -Infinity : v === "NaN" ? NaN : Number(v);
  if (v === undefined || v === "" || (Number.isNaN(value) && v !== "NaN")) throw fail("no value");
  return { name, labels, value };
}

/** Constructs PCRE/JS has but RE2 (and so Prometheus) rejects: a regex using them would not load. */
const NOT_RE2 = /\(\?[=!]|\(\?<[=!]|\\[1-9]|\(\?<[a-zA-Z]/;

const compiled = new Map<string, RegExp>();

/** A Prometheus label regex as a JS RegExp: fully anchored, `.` matching newlines as in Prometheus 3. */
export function labelRegex(re: string): RegExp {
  let r = compiled.get(re);
  if (!r) {
    if (NOT_RE2.test(re)) throw new Error(`${JSON.stringify(re)} uses lookaround, backreferences or named groups, which RE2 (Prometheus) does not accept`);
    r = new RegExp(`^(?:${re})$`, "s");
    compiled.set(re, r);
  }
  return r;
}

/** Whether a selector selects a series: the metric name and every label matcher. */
export function selects(sel: Selector, s: Series): boolean {
  if (sel.metric !== "" && sel.metric !== s.name) return false;
  return sel.matchers.every((m) => {
    const actual = m.label === "__name__" ? s.name : (s.labels[m.label] ?? "");
    switch (m.op) {
      case "=":
        return actual === m.value;
      case "!=":
        return actual !== m.value;
      case "=~":
        return labelRegex(m.value).test(actual);
      case "!~":
        return !labelRegex(m.value).test(actual);
      default:
        throw new Error(`unknown matcher operator ${m.op}`);
    }
  });
}

/** The series a selector selects. */
export function select(sel: Selector, series: readonly Series[]): Series[] {
  return series.filter((s) => selects(sel, s));
}

/**
 * Each selector once per label matcher, with that matcher's value changed so
 * that no real object has it: selects nothing when matching really
 * compares every label (the check is not vacuous). The appended `#` cannot
 * occur in a Kubernetes name, a JetStream name or a resource name. A letter
 * could: `(?:payments-…-[a-z0-9]+)x` still matched a pod whose random
 * suffix happened to end in `x`, which failed one CI run.
 */
export function perturbed<S extends Selector>(selectors: readonly S[]): S[] {
  const change = (m: Selector["matchers"][number]) => ({ ...m, value: m.op === "=~" ? `(?:${m.value})#` : `${m.value}#` });
  return selectors.flatMap((s) => s.matchers.map((_, i) => ({ ...s, matchers: s.matchers.map((m, j) => (j === i ? change(m) : m)) })));
}

/** `metric{label="value",...}` of a selector, for messages. */
export function show(sel: Selector): string {
  return `${sel.metric}{${sel.matchers.map((m) => `${m.label}${m.op}${JSON.stringify(m.value)}`).join(",")}}`;
}

/** A series' labels without `__name__`, as a stable key: what one-to-one vector matching compares. */
export function labelKey(s: Series): string {
  return JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
