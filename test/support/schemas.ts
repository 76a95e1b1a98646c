import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import { parseAllDocuments } from "yaml";
import { skipTest } from "./skip";

const FETCH_CRDS = join(__dirname, "..", "..", "scripts", "toolchain", "fetch-crds.sh");

let sets: Map<string, string> | undefined;
/**
 * The upstream CRD folders by set (`keda`, `nack`, ...; `strimzi` only when
 * SWITCHYARD_STRIMZI_CRDS_DIR names one), fetched at the versions pinned in
 * scripts/toolchain/versions.env from the operators' Go modules and cached
 * outside the repository (scripts/toolchain/fetch-crds.sh; warm: milliseconds).
 */
export function crdSets(): Map<string, string> {
  if (sets) return sets;
  const out = execFileSync("bash", [FETCH_CRDS], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  sets = new Map(out.trim().split("\n").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  return sets;
}

/** Why checks that need Strimzi's Kafka CRDs are skipped when they are absent. */
export const NEEDS_STRIMZI =
  "needs Strimzi's Kafka CRDs, which no registry these machines reach serves: set SWITCHYARD_STRIMZI_CRDS_DIR to a folder holding them";

/** Whether Strimzi's Kafka CRDs are available (SWITCHYARD_STRIMZI_CRDS_DIR). */
export function haveStrimziCrds(): boolean {
  return crdSets().has("strimzi");
}

/** Whether a manifest is one of Strimzi's custom resources. */
export function isStrimzi(m: { apiVersion?: string }): boolean {
  return typeof m.apiVersion === "string" && m.apiVersion.startsWith("kafka.strimzi.io/");
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : /\.ya?ml$/.test(f) ? [p] : [];
  });
}

/**
 * CRD patterns are Go (RE2) regular expressions; translate a flag group at the
 * start, before or after the `^` anchor (`(?i)abc`, `^(?i)(abort|warn)?$`).
 */
function goRegExp(pattern: string, flags: string): RegExp {
  const m = /^(\^?)\(\?([a-z]+)\)/.exec(pattern);
  return m ? new RegExp(m[1]! + pattern.slice(m[0].length), flags + (m[2]!.includes("i") ? "i" : "")) : new RegExp(pattern, flags);
}
goRegExp.code = "new RegExp";

let crdSchemas: Map<string, object> | undefined;
const compiled = new Map<string, ValidateFunction>();
// Kubernetes structural schemas use x-kubernetes-* keywords and OpenAPI formats.
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true, code: { regExp: goRegExp } });

/** `group/version/Kind` -> the CRD's openAPIV3Schema, for every served version. */
export function crdSchemaIndex(): Map<string, object> {
  if (crdSchemas) return crdSchemas;
  crdSchemas = new Map();
  for (const file of [...crdSets().values()].flatMap(walk)) {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      const crd = doc.toJS();
      if (crd?.kind !== "CustomResourceDefinition") continue;
      for (const v of crd.spec.versions) {
        if (v.served && v.schema?.openAPIV3Schema) crdSchemas.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, v.schema.openAPIV3Schema);
      }
    }
  }
  return crdSchemas;
}

function crdValidator(key: string): ValidateFunction | undefined {
  if (!compiled.has(key)) {
    const schema = crdSchemaIndex().get(key);
    if (!schema) return undefined;
    compiled.set(key, ajv.compile(schema));
  }
  return compiled.get(key);
}

/** The Kubernetes OpenAPI models of the built-in API groups switchyard uses. */
const BUILTIN: Record<string, () => Promise<Record<string, any>>> = {
  v1: () => import("kubernetes-models/v1"),
  "apps/v1": () => import("kubernetes-models/apps/v1"),
  "policy/v1": () => import("kubernetes-models/policy/v1"),
  "autoscaling/v2": () => import("kubernetes-models/autoscaling/v2"),
  "networking.k8s.io/v1": () => import("kubernetes-models/networking.k8s.io/v1"),
  "batch/v1": () => import("kubernetes-models/batch/v1"),
  "rbac.authorization.k8s.io/v1": () => import("kubernetes-models/rbac.authorization.k8s.io/v1"),
};

/**
 * Validates one manifest: built-in kinds against the Kubernetes OpenAPI schemas
 * (kubernetes-models), custom resources against the upstream CRD schema.
 * Returns the list of errors (empty when valid).
 */
export async function validateManifest(m: Record<string, any>): Promise<string[]> {
  const [group, version] = m.apiVersion.includes("/") ? m.apiVersion.split("/") : ["", m.apiVersion];
  const builtin = BUILTIN[m.apiVersion];
  if (builtin) {
    const mod = await builtin();
    if (!mod[m.kind]) return [`kubernetes-models has no ${m.apiVersion} ${m.kind}`];
    try {
      new mod[m.kind](m).validate();
      return [];
    } catch (e) {
      return [(e as Error).message];
    }
  }
  const validate = crdValidator(`${group}/${version}/${m.kind}`);
  if (!validate) return [`no CRD schema for ${m.apiVersion} ${m.kind} in ${[...crdSets().keys()].join(", ")}`];
  return validate(m) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

/** Skips the running test, with the reason, unless Strimzi's Kafka CRDs are available. */
export function requireStrimziCrds(): void {
  if (!haveStrimziCrds()) skipTest(NEEDS_STRIMZI);
}
