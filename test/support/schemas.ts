import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import { parseAllDocuments } from "yaml";

/** The upstream CRDs kept as test data beside the repository. */
export const CRDS_DIR = process.env.SWITCHYARD_CRDS_DIR ?? join(__dirname, "..", "..", "..", "shared", "crds");

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
  for (const file of walk(CRDS_DIR)) {
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
  if (!validate) return [`no CRD schema for ${m.apiVersion} ${m.kind} under ${CRDS_DIR}`];
  return validate(m) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}
