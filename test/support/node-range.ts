/**
 * Just enough of npm's range grammar to read `engines.node` fields (`||`,
 * comparator sets, x-ranges, `^`, `~`); anything else throws, so a new form fails
 * a test loudly instead of being misread. (The repository has no direct
 * dependency on the `semver` package.)
 */
type Version = readonly [number, number, number];

const compare = (a: Version, b: Version): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** `20`, `20.19`, `20.19.0`, `6.*`, `4.x`, `*`: the version and how many parts it fixes. */
function partial(s: string): { v: Version; parts: number } {
  const m = /^v?(\d+|[x*])(?:\.(\d+|[x*]))?(?:\.(\d+|[x*]))?$/i.exec(s);
  if (!m) throw new Error(`unsupported version "${s}"`);
  const nums = m.slice(1).filter((x): x is string => x !== undefined);
  const parts = nums.findIndex((x) => !/^\d+$/.test(x));
  const n = parts === -1 ? nums.length : parts;
  const v = [0, 1, 2].map((i) => (i < n ? Number(nums[i]) : 0)) as unknown as Version;
  return { v, parts: n };
}

/** The first version above every version matching the partial (`20.19` -> 20.20.0). */
function after(v: Version, parts: number): Version {
  if (parts === 0) return [Infinity, 0, 0];
  if (parts === 1) return [v[0] + 1, 0, 0];
  if (parts === 2) return [v[0], v[1] + 1, 0];
  return [v[0], v[1], v[2] + 1];
}

function comparator(c: string, x: Version): boolean {
  const m = /^(>=|<=|>|<|=|\^|~)?(.+)$/.exec(c)!;
  const op = m[1] ?? "=";
  const { v, parts } = partial(m[2]!);
  switch (op) {
    case ">=":
      return compare(x, v) >= 0;
    case ">":
      return compare(x, after(v, parts)) >= 0;
    case "<":
      return compare(x, v) < 0;
    case "<=":
      return compare(x, after(v, parts)) < 0;
    case "^":
      return compare(x, v) >= 0 && compare(x, v[0] > 0 || parts < 2 ? after(v, 1) : v[1] > 0 || parts < 3 ? after(v, 2) : after(v, 3)) < 0;
    case "~":
      return compare(x, v) >= 0 && compare(x, after(v, Math.min(Math.max(parts, 1), 2))) < 0;
    default:
      return compare(x, v) >= 0 && compare(x, after(v, parts)) < 0;
  }
}

/** Whether a version satisfies an npm range as written in `engines` (`||`, comparator sets, x-ranges, ^, ~). */
export function satisfies(version: string, range: string): boolean {
  const x = partial(version).v;
  return range.split("||").some((alt) => {
    if (/\s-\s/.test(alt)) throw new Error(`unsupported range "${range}" (hyphen range)`);
    const set = alt.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, "$1");
    if (set === "" || set === "*") return true;
    return set.split(/\s+/).every((c) => comparator(c, x));
  });
}
