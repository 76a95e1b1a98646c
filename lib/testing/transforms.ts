/**
 * The engine's side of Pulumi `transforms`, for the mock monitor.
 *
 * With the real CLI, the SDK registers each transform function with its
 * callback server and sends a callback reference in the RegisterResource
 * request; the engine calls those callbacks (the resource's own, then its
 * ancestors', then the stack's from `registerResourceTransform`) and registers
 * what they return. Pulumi's mock monitor does not do that part (and so
 * `setMocks` turns the feature off). This module does it: it invokes the same
 * SDK callbacks, in the engine's order, with the engine's request and
 * response messages, and rewrites the registration before the mocks see it.
 *
 * It uses three SDK internals, looked up only when a transform is used:
 * `runtime/state` (to switch the feature on), the callback server's
 * `invoke` handler and the protobuf messages. When one of them is missing,
 * the registration fails with `TRANSFORMS_UNAVAILABLE` and the reason.
 */

import * as pulumi from "@pulumi/pulumi";

/** Start of the error raised when this `@pulumi/pulumi` cannot run transforms under the mocks. */
export const TRANSFORMS_UNAVAILABLE = "switchyard testing: `transforms` cannot run under Pulumi mocks with this @pulumi/pulumi";

/** A callback reference as sent by the SDK (`pulumirpc.Callback`). */
export interface CallbackRef {
  getToken(): string;
}

/** The parts of a `RegisterResourceRequest` the transforms read and rewrite. */
export interface RegisterRequest {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getParent(): string;
  getObject(): unknown;
  setObject(v: unknown): void;
  getTransformsList(): CallbackRef[];
  [method: string]: any;
}

interface Store {
  supportsTransforms?: boolean;
  callbacks?: { invoke?: (call: { request: unknown }, cb: (err: unknown, resp?: { getResponse_asU8(): Uint8Array }) => void) => unknown; shutdown?: () => void };
}

/* eslint-disable @typescript-eslint/no-require-imports */
function sdk(): { store: Store; resource: any; callback: any } {
  const state = require("@pulumi/pulumi/runtime/state") as { getStore?: () => Store };
  if (typeof state.getStore !== "function") throw new Error(`${TRANSFORMS_UNAVAILABLE}: runtime/state has no getStore()`);
  return {
    store: state.getStore(),
    resource: require("@pulumi/pulumi/proto/resource_pb"),
    callback: require("@pulumi/pulumi/proto/callback_pb"),
  };
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** Turns transforms on for the installed mocks; false (with the reason) when this SDK does not allow it. */
export function enableTransforms(): { ok: true } | { ok: false; reason: string } {
  try {
    sdk().store.supportsTransforms = true;
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

/** Shuts the SDK's callback server of the mocks being replaced (Pulumi's `setMocks` drops it without closing it). */
export function shutdownCallbacks(): void {
  try {
    const store = sdk().store;
    store.callbacks?.shutdown?.();
    store.callbacks = undefined;
  } catch {
    // nothing to close
  }
}

/** The engine's bookkeeping of transforms for one mocks installation. */
export class TransformEngine {
  private readonly stackTransforms: CallbackRef[] = [];
  private readonly own = new Map<string, CallbackRef[]>();
  private readonly parents = new Map<string, string>();

  /** `ResourceMonitor.RegisterStackTransform`. */
  registerStackTransform(cb: CallbackRef): void {
    this.stackTransforms.push(cb);
  }

  /** Remembers a registered resource's parent and own transforms (they apply to its children). */
  remember(urn: string, parent: string, own: readonly CallbackRef[]): void {
    if (parent) this.parents.set(urn, parent);
    if (own.length) this.own.set(urn, [...own]);
  }

  /**
   * Runs the transforms that apply to a registration — its own, its
   * ancestors' (nearest first), then the stack's — and writes their result
   * (properties and options) back into the request.
   */
  async apply(req: RegisterRequest): Promise<void> {
    const chain = [...req.getTransformsList()];
    for (let p = req.getParent(); p; p = this.parents.get(p) ?? "") chain.push(...(this.own.get(p) ?? []));
    chain.push(...this.stackTransforms);
    if (!chain.length) return;
    const { store, resource, callback } = sdk();
    const invoke = store.callbacks?.invoke;
    if (typeof invoke !== "function") throw new Error(`${TRANSFORMS_UNAVAILABLE}: its callback server has no invoke handler`);
    // As the engine: secrets and unknowns become output values, and so do properties with dependencies.
    // The first transform sees them as Outputs; later ones see what the previous one returned.
    const Struct = (req.getObject() as { constructor: { fromJavaScript(v: unknown): unknown } }).constructor;
    let props = Struct.fromJavaScript(upgrade((req.getObject() as { toJavaScript(): Record<string, unknown> }).toJavaScript(), dependenciesOf(req)));
    let opts = optionsOf(req, new resource.TransformResourceOptions());
    for (const ref of chain) {
      const tr = new resource.TransformRequest();
      tr.setType(req.getType());
      tr.setName(req.getName());
      tr.setCustom(req.getCustom());
      tr.setParent(req.getParent());
      tr.setProperties(props);
      tr.setOptions(opts);
      const call = new callback.CallbackInvokeRequest();
      call.setToken(ref.getToken());
      call.setRequest(tr.serializeBinary());
      const bytes = await new Promise<Uint8Array>((resolve, reject) =>
        invoke.call(store.callbacks, { request: call }, (err, resp) => {
          if (err || !resp) reject(err instanceof Error ? err : new Error(String((err as { details?: string })?.details ?? err)));
          else resolve(resp.getResponse_asU8());
        }),
      );
      const out = resource.TransformResponse.deserializeBinary(bytes);
      props = out.getProperties() ?? props;
      opts = out.getOptions() ?? opts;
    }
    // As the engine before it registers: output values back to plain, secret or unknown values (the mocks take no Outputs).
    props = Struct.fromJavaScript(downgrade((props as { toJavaScript(): unknown }).toJavaScript()));
    req.setObject(props);
    writeOptions(req, opts);
  }
}

const SIG = pulumi.runtime.specialSigKey;

function isSig(v: unknown, sig: string): v is Record<string, any> {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG] === sig;
}

/** URNs each top-level property depends on; every dependency for each property when the SDK sent none per property. */
function dependenciesOf(req: RegisterRequest): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, d] of req.getPropertydependenciesMap().entries()) out.set(k, d.getUrnsList());
  if (out.size === 0) {
    const all = req.getDependenciesList();
    if (all.length) for (const k of Object.keys((req.getObject() as { toJavaScript(): object }).toJavaScript())) out.set(k, all);
  }
  return out;
}

/** The engine's `UpgradeToOutputValues` and `upgradeOutputValues`, on the wire form. */
function upgrade(props: Record<string, unknown>, deps: Map<string, string[]>): Record<string, unknown> {
  const deep = (v: unknown): unknown => {
    if (v === pulumi.runtime.unknownValue) return { [SIG]: pulumi.runtime.specialOutputValueSig };
    if (isSig(v, pulumi.runtime.specialSecretSig)) {
      const inner = deep(v.value);
      return isSig(inner, pulumi.runtime.specialOutputValueSig) ? { ...inner, secret: true } : { [SIG]: pulumi.runtime.specialOutputValueSig, value: inner, secret: true };
    }
    if (Array.isArray(v)) return v.map(deep);
    if (typeof v === "object" && v !== null && !(SIG in v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)]));
    return v;
  };
  return Object.fromEntries(
    Object.entries(props).map(([k, raw]) => {
      const v = deep(raw);
      const d = deps.get(k) ?? [];
      if (!d.length) return [k, v];
      const o = isSig(v, pulumi.runtime.specialOutputValueSig) ? v : { [SIG]: pulumi.runtime.specialOutputValueSig, value: v };
      return [k, { ...o, dependencies: [...new Set([...((o.dependencies as string[] | undefined) ?? []), ...d])] }];
    }),
  );
}

/** The engine's `downgradeOutputValues`, on the wire form. */
function downgrade(v: unknown): unknown {
  if (isSig(v, pulumi.runtime.specialOutputValueSig)) {
    const inner = "value" in v ? downgrade(v.value) : pulumi.runtime.unknownValue;
    return v.secret === true ? { [SIG]: pulumi.runtime.specialSecretSig, value: inner } : inner;
  }
  if (isSig(v, pulumi.runtime.specialSecretSig)) return { [SIG]: pulumi.runtime.specialSecretSig, value: downgrade(v.value) };
  if (Array.isArray(v)) return v.map(downgrade);
  if (typeof v === "object" && v !== null && !(SIG in v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, downgrade(x)]));
  return v;
}

/** The `TransformResourceOptions` the engine builds from a registration. */
function optionsOf(req: RegisterRequest, o: any): any {
  o.setDependsOnList(req.getDependenciesList());
  if (req.hasProtect?.()) o.setProtect(req.getProtect());
  o.setIgnoreChangesList(req.getIgnorechangesList());
  o.setReplaceOnChangesList(req.getReplaceonchangesList());
  o.setVersion(req.getVersion());
  o.setAliasesList(req.getAliasesList());
  o.setProvider(req.getProvider());
  for (const [k, v] of req.getProvidersMap().entries()) o.getProvidersMap().set(k, v);
  if (req.hasCustomtimeouts?.()) o.setCustomTimeouts(req.getCustomtimeouts());
  o.setPluginDownloadUrl(req.getPlugindownloadurl());
  if (req.hasRetainondelete?.()) o.setRetainOnDelete(req.getRetainondelete());
  o.setDeletedWith(req.getDeletedwith());
  if (req.getDeletebeforereplacedefined()) o.setDeleteBeforeReplace(req.getDeletebeforereplace());
  o.setAdditionalSecretOutputsList(req.getAdditionalsecretoutputsList());
  if (typeof o.setImport === "function") o.setImport(req.getImportid());
  return o;
}

/** Copies transformed options back onto the registration, as the engine then uses them. */
function writeOptions(req: RegisterRequest, o: any): void {
  req.setDependenciesList(o.getDependsOnList());
  if (o.hasProtect()) req.setProtect(o.getProtect());
  else req.clearProtect?.();
  req.setIgnorechangesList(o.getIgnoreChangesList());
  req.setReplaceonchangesList(o.getReplaceOnChangesList());
  req.setVersion(o.getVersion());
  req.setAliasesList(o.getAliasesList());
  req.setProvider(o.getProvider());
  req.getProvidersMap().clear();
  for (const [k, v] of o.getProvidersMap().entries()) req.getProvidersMap().set(k, v);
  if (o.hasCustomTimeouts()) req.setCustomtimeouts(o.getCustomTimeouts());
  req.setPlugindownloadurl(o.getPluginDownloadUrl());
  if (o.hasRetainOnDelete()) req.setRetainondelete(o.getRetainOnDelete());
  req.setDeletedwith(o.getDeletedWith());
  req.setDeletebeforereplacedefined(o.hasDeleteBeforeReplace());
  req.setDeletebeforereplace(o.getDeleteBeforeReplace() ?? false);
  req.setAdditionalsecretoutputsList(o.getAdditionalSecretOutputsList());
  if (typeof o.getImport === "function") req.setImportid(o.getImport());
}
