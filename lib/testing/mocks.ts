import * as pulumi from "@pulumi/pulumi";
import { resetMonitoredWorkloads } from "../components/monitoring-resources";
import { resetEventGraph } from "../events/broker";
import { CLUSTER_SCOPED_KINDS, withEngineDefaults } from "./defaults";
import { type CallbackRef, type RegisterRequest, TransformEngine, enableTransforms, shutdownCallbacks } from "./transforms";

/** Options of `setSwitchyardMocks`. */
export interface SwitchyardMocksOptions {
  /** Project name (`pulumi.getProject()`; part of every stable Kubernetes name). @default "project" */
  readonly project?: string;
  /** Stack name (`pulumi.getStack()`; part of every stable Kubernetes name). @default "stack" */
  readonly stack?: string;
  /** Run as `pulumi preview` (`pulumi.runtime.isDryRun()`). @default false */
  readonly preview?: boolean;
  /** Organization name (`pulumi.getOrganization()`). @default - none */
  readonly organization?: string;
  /**
   * Replaces the whole stack configuration: full keys (`"shop:replicas"`,
   * `"switchyard:monitoring"`); strings are kept, other values stored as JSON
   * (as `pulumi config set --path` would). @default - the configuration is left as it is
   */
  readonly config?: Readonly<Record<string, unknown>>;
  /**
   * Your own resource mock, composed with switchyard's: it receives what the
   * program sent; the `state` it returns is laid over the echoed inputs, its
   * `id` replaces the default one; return `undefined` to keep the defaults.
   * The engine defaults are filled in afterwards where still unset.
   * @default - echo the inputs
   */
  readonly newResource?: (args: pulumi.runtime.MockResourceArgs) => Partial<pulumi.runtime.MockResourceResult> | undefined | Promise<Partial<pulumi.runtime.MockResourceResult> | undefined>;
  /** Your own mock of provider functions (invokes). @default - return the arguments */
  readonly call?: (args: pulumi.runtime.MockCallArgs) => pulumi.runtime.MockCallResult | Promise<pulumi.runtime.MockCallResult>;
  /** More cluster-scoped kinds (your CRDs) that get no default namespace; added to `CLUSTER_SCOPED_KINDS`. @default [] */
  readonly clusterScopedKinds?: readonly string[];
}

/** Resource options of a registration, after transforms. */
export interface RegisteredOptions {
  /** URNs of the explicit `dependsOn`. */
  readonly dependsOn: readonly string[];
  readonly protect?: boolean;
  readonly ignoreChanges: readonly string[];
  readonly replaceOnChanges: readonly string[];
  readonly retainOnDelete?: boolean;
  readonly deleteBeforeReplace?: boolean;
  readonly additionalSecretOutputs: readonly string[];
  /** Number of aliases sent. */
  readonly aliases: number;
}

/** One resource registration the mocks answered. */
export interface RegisteredResource {
  readonly urn: string;
  /** Type token, e.g. `kubernetes:apps/v1:Deployment`, `switchyard:index:EventService`. */
  readonly type: string;
  /** Pulumi logical name (not the Kubernetes `metadata.name`). */
  readonly name: string;
  /** False for components. */
  readonly custom: boolean;
  /** URN of the parent; empty at the stack root. */
  readonly parent: string;
  /** Provider reference (`<urn>::<id>`) when one was set explicitly or inherited. */
  readonly provider: string;
  readonly id: string;
  /**
   * The inputs as Pulumi's mocks receive them (after transforms). Secret
   * values are wire secrets; `unsecret()` removes the wrappers.
   */
  readonly inputs: Record<string, any>;
  /** The state the mocks answered: inputs, your mock's state, engine defaults. */
  readonly state: Record<string, any>;
  readonly options: RegisteredOptions;
}

/** The mocks installed by `setSwitchyardMocks`, and what they saw. */
export interface SwitchyardMocks {
  /** Every registration answered so far, in the order the mocks answered them (live). */
  readonly resources: readonly RegisteredResource[];
  /** Waits until every registration started by the program is answered, then returns them. Fails after `timeoutMs`. */
  settled(options?: { readonly timeoutMs?: number }): Promise<readonly RegisteredResource[]>;
  /** The registration with this type token and logical name; undefined when none. */
  find(type: string, name: string): RegisteredResource | undefined;
  /** Like `find`, but throws (naming what was registered) when there is none or more than one. */
  get(type: string, name: string): RegisteredResource;
  /** Registrations of one type token. */
  ofType(type: string): RegisteredResource[];
}

type RegisterResponse = { getUrn(): string; getId(): string; getObject?(): unknown };
type Monitor = {
  registerResource(req: RegisterRequest, cb: (err: unknown, resp?: RegisterResponse) => void): unknown;
  registerStackTransform?: (req: CallbackRef, cb: (err: unknown, resp?: unknown) => void) => void;
};

let installed: Handle | undefined;

/** Properties in their wire form (a protobuf Struct), as Pulumi's mocks deserialize them. */
function wire(struct: unknown): Record<string, any> {
  return struct ? (pulumi.runtime.deserializeProperties(struct as Parameters<typeof pulumi.runtime.deserializeProperties>[0]) as Record<string, any>) : {};
}

/**
 * Forgets switchyard's per-stack state kept in this process: the event graph
 * (brokers, topics, services, the `EventGraph` seal; the graph of a stack
 * resource left over from an earlier `runInPulumiStack` is no longer used nor
 * checked) and the monitored workloads `StackDashboard` shows. `setSwitchyardMocks` calls it; call it
 * yourself (e.g. in `beforeEach`) when you install Pulumi mocks another way.
 */
export function resetSwitchyardState(): void {
  resetEventGraph();
  resetMonitoredWorkloads();
}

/**
 * Installs Pulumi mocks (`pulumi.runtime.setMocks`) for a program that uses
 * switchyard, as the engine and the API server would answer it:
 * - switchyard's per-stack state is reset, so each test starts a new stack;
 * - Kubernetes objects get `metadata.name` and, on namespaced kinds,
 *   `metadata.namespace: "default"` when the program leaves them unset (so a
 *   service without `namespace` is `<name>.default.svc.cluster.local`);
 *   built images get a `repoDigest`, generated passwords a `result`;
 * - `additionalSecretOutputs` are returned as secrets;
 * - resource `transforms` (the option and `registerResourceTransform`) run as
 *   the engine runs them: own, then each ancestor's, then the stack's;
 * - every registration is recorded on the returned handle.
 * Call it before the program runs, in each test (`beforeEach`).
 */
export async function setSwitchyardMocks(options: SwitchyardMocksOptions = {}): Promise<SwitchyardMocks> {
  if (installed) await installed.settled({ timeoutMs: 2_000 }).catch(() => undefined); // the previous test's last registrations
  shutdownCallbacks();
  resetSwitchyardState();
  if (options.config) {
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(options.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])));
  }
  const handle = new Handle(new Set([...CLUSTER_SCOPED_KINDS, ...(options.clusterScopedKinds ?? [])]), options);
  await pulumi.runtime.setMocks(
    { newResource: (a) => handle.newResource(a), call: (a) => (options.call ? options.call(a) : a.inputs) },
    options.project ?? "project",
    options.stack ?? "stack",
    options.preview ?? false,
    options.organization,
  );
  handle.attach(pulumi.runtime.getMonitor() as unknown as Monitor);
  enableTransforms();
  installed = handle;
  return handle;
}

class Handle implements SwitchyardMocks {
  readonly resources: RegisteredResource[] = [];
  private readonly engine = new TransformEngine();
  private started = 0;
  private inFlight = 0;
  /** The registration being answered; Pulumi's mock monitor calls `newResource` synchronously from `registerResource`. */
  private current: RegisterRequest | undefined;
  private readonly answers = new WeakMap<RegisterRequest, { inputs: Record<string, any>; state: Record<string, any> }>();

  constructor(
    private readonly clusterScoped: ReadonlySet<string>,
    private readonly options: SwitchyardMocksOptions,
  ) {}

  attach(monitor: Monitor): void {
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      this.started++;
      this.inFlight++;
      const own = req.getTransformsList();
      const done = (err: unknown, resp?: RegisterResponse) => {
        this.inFlight--;
        cb(err, resp);
      };
      this.engine.apply(req).then(
        () => {
          this.current = req;
          try {
            void register(req, (err, resp) => {
              if (!err && resp) {
                this.engine.remember(resp.getUrn(), req.getParent(), own);
                // Should the mock monitor stop calling `newResource` synchronously, the wire form still tells.
                const seen = this.answers.get(req) ?? { inputs: wire(req.getObject()), state: wire(resp.getObject?.()) };
                this.resources.push(this.record(req, resp, seen));
              }
              done(err, resp);
            });
          } finally {
            this.current = undefined;
          }
        },
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      );
    };
    monitor.registerStackTransform = (cb, reply) => {
      this.engine.registerStackTransform(cb);
      reply(null, {});
    };
  }

  async newResource(args: pulumi.runtime.MockResourceArgs): Promise<pulumi.runtime.MockResourceResult> {
    const req = this.current;
    const custom = args.custom ?? true;
    const answer = this.options.newResource ? await this.options.newResource(args) : undefined;
    const echoed = { ...(args.inputs as Record<string, any>), ...(answer?.state ?? {}) };
    const { state, id } = withEngineDefaults({ type: args.type, name: args.name, custom, inputs: args.inputs ?? {} }, echoed, this.clusterScoped);
    if (req) this.answers.set(req, { inputs: args.inputs ?? {}, state });
    const secretKeys = req?.getAdditionalsecretoutputsList() ?? [];
    const sent = secretKeys.length
      ? Object.fromEntries(Object.entries(state).map(([k, v]) => [k, secretKeys.includes(k) && !pulumi.runtime.isRpcSecret(v) ? pulumi.secret(v) : v]))
      : state;
    return { id: answer?.id ?? id ?? (custom ? `${args.name}-id` : undefined), state: sent };
  }

  private record(req: RegisterRequest, resp: RegisterResponse, seen: { inputs: Record<string, any>; state: Record<string, any> }): RegisteredResource {
    return {
      urn: resp.getUrn(),
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      parent: req.getParent(),
      provider: req.getProvider(),
      id: resp.getId(),
      inputs: seen.inputs,
      state: seen.state,
      options: {
        dependsOn: req.getDependenciesList(),
        ...(req.hasProtect?.() ? { protect: req.getProtect() } : {}),
        ignoreChanges: req.getIgnorechangesList(),
        replaceOnChanges: req.getReplaceonchangesList(),
        ...(req.hasRetainondelete?.() ? { retainOnDelete: req.getRetainondelete() } : {}),
        ...(req.getDeletebeforereplacedefined() ? { deleteBeforeReplace: req.getDeletebeforereplace() } : {}),
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        aliases: req.getAliasesList().length,
      },
    };
  }

  async settled(options: { readonly timeoutMs?: number } = {}): Promise<readonly RegisteredResource[]> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
    let last = -1;
    let quiet = 0;
    while (quiet < 2) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`setSwitchyardMocks: ${this.inFlight} registration(s) still unanswered after ${options.timeoutMs ?? 10_000} ms.`);
      if (waitForRPCs) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([waitForRPCs(), new Promise((r) => (timer = setTimeout(r, left)))]);
        clearTimeout(timer);
      }
      await new Promise((r) => setTimeout(r, 5));
      if (this.inFlight === 0 && this.started === last) quiet++;
      else {
        quiet = 0;
        last = this.started;
      }
    }
    return [...this.resources];
  }

  find(type: string, name: string): RegisteredResource | undefined {
    return this.resources.find((r) => r.type === type && r.name === name);
  }

  get(type: string, name: string): RegisteredResource {
    const hits = this.resources.filter((r) => r.type === type && r.name === name);
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) throw new Error(`${hits.length} resources ${type} "${name}" were registered: ${hits.map((r) => r.urn).join(", ")}. Use \`ofType\` and pick by \`parent\`.`);
    const same = this.ofType(type).map((r) => r.name);
    throw new Error(`No resource ${type} "${name}" was registered (${same.length ? `${type}: ${same.join(", ")}` : `no ${type} at all`}). Await \`settled()\` before looking.`);
  }

  ofType(type: string): RegisteredResource[] {
    return this.resources.filter((r) => r.type === type);
  }
}

/**
 * The value of an Output, for assertions; `undefined` when it is unknown
 * (in a preview, a value the engine only learns at deployment).
 */
export function outputValue<T>(output: pulumi.Output<T>): Promise<T | undefined> {
  return new Promise((resolve) => {
    output.apply((v) => {
      resolve(v);
      return v;
    });
    const known = (output as unknown as { isKnown?: Promise<boolean> }).isKnown;
    void known?.then((k) => {
      if (!k) resolve(undefined);
    });
  });
}

/** A registered input or state value without Pulumi's secret wrappers (deeply). */
export function unsecret<T = any>(value: unknown): T {
  if (pulumi.runtime.isRpcSecret(value)) return unsecret(pulumi.runtime.unwrapRpcSecret(value));
  if (Array.isArray(value)) return value.map((v) => unsecret(v)) as T;
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unsecret(v)])) as T;
  return value as T;
}
