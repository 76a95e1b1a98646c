import * as pulumi from "@pulumi/pulumi";

/** One resource registration seen by the Pulumi mocks. */
export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  readonly provider?: string;
  readonly custom?: boolean;
}

/** Registrations of the current test; reset by `installMocks`. */
export const registrations: Registration[] = [];

/**
 * Aliases each registration sent (key `type::name`), as the engine receives
 * them: a URN, or `parent=<URN>` for an alias that only changes the parent.
 */
export const aliasesSent = new Map<string, string[]>();

/** Installs Pulumi mocks that echo inputs and fill in server-assigned names. */
export async function installMocks(preview: boolean): Promise<void> {
  await settle(); // let registrations of a previous test finish first
  registrations.length = 0;
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registrations.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          ...(args.provider !== undefined ? { provider: args.provider } : {}),
          ...(args.custom !== undefined ? { custom: args.custom } : {}),
        });
        const state: Record<string, any> = { ...args.inputs };
        if (args.type.startsWith("kubernetes:") && !args.type.startsWith("kubernetes:index")) {
          const md = args.inputs.metadata ?? {};
          state.metadata = { ...md, name: md.name ?? `${args.name}-0a1b2c3d`, namespace: md.namespace ?? "default" };
        }
        if (args.type === "docker:index/image:Image") {
          state.repoDigest = `${args.inputs.imageName}@sha256:${"ab".repeat(32)}`;
        }
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        return args.inputs;
      },
    },
    "project",
    "stack",
    preview,
  );
  aliasesSent.clear();
  type Alias = { getUrn(): string; getSpec(): { getParenturn(): string; getName(): string; getType(): string } | undefined };
  type Request = { getType(): string; getName(): string; getAliasesList(): Alias[] };
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: Request, cb: unknown): unknown };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const aliases = req.getAliasesList().map((a) => {
      const spec = a.getSpec();
      if (!spec) return a.getUrn();
      return [spec.getName() && `name=${spec.getName()}`, spec.getType() && `type=${spec.getType()}`, spec.getParenturn() && `parent=${spec.getParenturn()}`].filter(Boolean).join(" ");
    });
    if (aliases.length) aliasesSent.set(`${req.getType()}::${req.getName()}`, aliases);
    return register(req, cb);
  };
}

/** Resolves an Output in a test. */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/** Waits until the registrations stop changing (all children registered). */
export async function settle(): Promise<Registration[]> {
  let last = -1;
  let stable = 0;
  while (stable < 3) {
    await new Promise((r) => setTimeout(r, 10));
    if (registrations.length === last) stable++;
    else {
      stable = 0;
      last = registrations.length;
    }
  }
  return [...registrations];
}

/** Registrations of Kubernetes objects (not components or providers). */
export function kubeObjects(regs: readonly Registration[]): Registration[] {
  return regs.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers"));
}

/** Short `Kind/name` list, sorted, for exact-children assertions. */
export function childList(regs: readonly Registration[]): string[] {
  return regs
    .filter((r) => r.custom !== false && !r.type.startsWith("pulumi:providers"))
    .map((r) => `${r.type}::${r.name}`)
    .sort();
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** True when a registered input value is a secret on the wire. */
export function isWireSecret(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE;
}

/** Removes secret wrappers from registered inputs (deeply). */
export function unsecret(v: any): any {
  if (isWireSecret(v)) return unsecret(v.value);
  if (Array.isArray(v)) return v.map(unsecret);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unsecret(x)]));
  return v;
}
