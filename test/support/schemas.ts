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

let crdValidators: Map<string, ValidateFunction> | undefined;

/** `group/version/Kind` -> validator of the CRD's openAPIV3Schema. */
function crdIndex(): Map<string, ValidateFunction> {
  if (crdValidators) return crdValidators;
  // Kubernetes structural schemas use x-kubernetes-* keywords and OpenAPI formats.
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  crdValidators = new Map();
  for (const file of walk(CRDS_DIR)) {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      const crd = doc.toJS();
      if (crd?.kind !== "CustomResourceDefinition") continue;
      for (const v of crd.spec.versions) {
        if (!v.served || !v.schema?.openAPIV3Schema) continue;
        crdValidators.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, ajv.compile(v.schema.openAPIV3Schema));
      }
    }
  }
  return crdValidators;
}

const BUILTIN_GROUPS = new Set(["", "apps", "policy", "autoscaling", "networking.k8s.io", "batch", "rbac.authorization.k8s.io"]);

/**
 * Validates one manifest: built-in kinds against the Kubernetes OpenAPI schemas
 * (kubernetes-models), custom resources against the upstream CRD schema.
 * Returns the list of errors (empty when valid).
 */
export async function validateManifest(m: Record<string, any>): Promise<string[]> {
  const [group, version] = m.apiVersion.includes("/") ? m.apiVersion.split("/") : ["", m.apiVersion];
  if (BUILTIN_GROUPS.has(group)) {
    const mod = await import(`kubernetes-models/${group ? `${group}/` : ""}${version}/${m.kind}`);
    try {
      new mod[m.kind](m).validate();
      return [];
    } catch (e) {
      return [(e as Error).message];
    }
  }
  const validate = crdIndex().get(`${group}/${version}/${m.kind}`);
  if (!validate) return [`no CRD schema for ${m.apiVersion} ${m.kind} under ${CRDS_DIR}`];
  return validate(m) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}
