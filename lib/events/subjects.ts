/**
 * Subjects in NATS syntax, the one notation switchyard uses for every broker:
 * tokens separated by ".", `*` matches exactly one token, `>` (last token
 * only) matches one or more. RabbitMQ binding keys are derived from them.
 * @see https://docs.nats.io/nats-concepts/subjects#wildcards
 */

/** True for a valid subject or subject pattern. */
export function isValidSubject(subject: string): boolean {
  if (subject === "" || /\s/.test(subject)) return false;
  const tokens = subject.split(".");
  return tokens.every((t, i) => t !== "" && (t === ">" ? i === tokens.length - 1 : !t.includes(">") && (t === "*" || !t.includes("*"))));
}

/** True when some concrete subject matches both patterns. */
export function subjectsOverlap(a: string, b: string): boolean {
  const x = a.split(".");
  const y = b.split(".");
  for (let i = 0; ; i++) {
    const s = x[i];
    const t = y[i];
    if (s === undefined || t === undefined) return s === t;
    if (s === ">" || t === ">") return true;
    if (s !== "*" && t !== "*" && s !== t) return false;
  }
}

/** True when every subject matching `inner` also matches `outer`. */
export function subjectCovers(outer: string, inner: string): boolean {
  const o = outer.split(".");
  const n = inner.split(".");
  for (let i = 0; ; i++) {
    const s = o[i];
    const t = n[i];
    if (s === undefined || t === undefined) return s === t;
    if (s === ">") return true;
    if (t === ">") return false;
    if (s !== "*" && s !== t) return false;
  }
}

/** RabbitMQ topic-exchange binding key: `*` stays, `>` becomes `#`. */
export function toBindingKey(subject: string): string {
  return subject.endsWith(">") ? `${subject.slice(0, -1)}#` : subject;
}
