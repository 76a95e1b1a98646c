import { Problems, show } from "./problems";

/** Kubernetes auto-naming appends "-" and 8 random characters. */
export const AUTONAME_SUFFIX_LENGTH = 9;
export const MAX_NAME_LENGTH = 63;

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * Checks a component name: it prefixes every Kubernetes object name, so it must
 * be a DNS-1035 label and leave room for the longest role suffix plus the
 * auto-naming suffix.
 */
export function checkName(
  problems: Problems,
  property: string,
  name: string,
  longestSuffix: string,
): void {
  const room = MAX_NAME_LENGTH - longestSuffix.length - AUTONAME_SUFFIX_LENGTH;
  if (!DNS1035_LABEL.test(name)) {
    const suggestion = toDns1035(name).slice(0, room).replace(/-+$/, "");
    problems.add(
      property,
      `\`${property}\` (${show(name)}) must be a DNS-1035 label: lower-case letters, digits and "-", starting with a letter and ending with a letter or digit. Rename it, e.g. ${show(suggestion)}.`,
    );
    return;
  }
  const longest = name.length + longestSuffix.length + AUTONAME_SUFFIX_LENGTH;
  if (longest > MAX_NAME_LENGTH) {
    problems.add(
      property,
      `\`${property}\` (${show(name)}) is ${name.length} characters; the longest derived object name ("${name}${longestSuffix}" plus the ${AUTONAME_SUFFIX_LENGTH}-character auto-name suffix) would be ${longest} > ${MAX_NAME_LENGTH}. Shorten it to ${room} characters or fewer.`,
    );
  }
}

export function isLabelValue(value: string): boolean {
  return value.length <= MAX_NAME_LENGTH && LABEL_VALUE.test(value);
}

export function isEnvName(value: string): boolean {
  return ENV_NAME.test(value);
}

/** Best-effort conversion of an arbitrary string into a DNS-1035 label. */
export function toDns1035(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "");
  return s === "" ? "svc" : s.slice(0, MAX_NAME_LENGTH);
}

/** `orders-api` -> `ORDERS_API`: the stem of environment variable names. */
export function envStem(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]+/g, "_").replace(/^_+|_+$/g, "");
}
