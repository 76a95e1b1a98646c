import type { ProbeArgs, ServiceDefinition } from "./workload-args";
import { isEnvName, isLabelValue } from "./names";
import { Problems, isPlain, show } from "./problems";
import { validateMonitoring } from "../observability/monitoring";
import { DEFAULT_PRESTOP_SLEEP, isImageBuild, normalizeCall, resolveCalls, resolvePorts } from "./workload-resolve";

const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;

function checkPortNumber(problems: Problems, property: string, value: unknown): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) {
    problems.add(property, `\`${property}\` (${show(value)}) must be an integer from 1 to 65535. Use a port in that range.`);
  }
}

function checkProbe(
  problems: Problems,
  property: string,
  probe: ProbeArgs | false | undefined,
  portNames: Set<string>,
  portNumbers: Set<number>,
): void {
  if (probe === false || probe == null) return;
  const handlers = [probe.path !== undefined, probe.grpc === true, probe.command !== undefined].filter(Boolean).length;
  if (handlers > 1) {
    problems.add(property, `\`${property}\` sets more than one of \`path\`, \`grpc\` and \`command\`. Keep exactly one.`);
  }
  if (probe.port !== undefined) {
    const known = typeof probe.port === "number" ? portNumbers.has(probe.port) : portNames.has(probe.port);
    if (!known) {
      const list = [...portNames].map((n) => show(n)).join(", ") || "none";
      problems.add(
        `${property}.port`,
        `\`${property}.port\` (${show(probe.port)}) is not a port of this service (ports: ${list}). Use one of the declared ports or add it to \`ports\`.`,
      );
    }
  } else if (probe.command === undefined && portNames.size === 0) {
    problems.add(property, `\`${property}\` needs a port but the service declares no \`ports\`. Add a port, set \`${property}.command\`, or set \`${property}\` to false.`);
  }
  if (probe.path !== undefined && !probe.path.startsWith("/")) {
    problems.add(`${property}.path`, `\`${property}.path\` (${show(probe.path)}) must start with "/". Use ${show("/" + probe.path)}.`);
  }
  for (const key of ["periodSeconds", "timeoutSeconds", "failureThreshold"] as const) {
    const v = probe[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
      problems.add(`${property}.${key}`, `\`${property}.${key}\` (${show(v)}) must be a whole number >= 1. Set it to 1 or more.`);
    }
  }
  const delay = probe.initialDelaySeconds;
  if (delay !== undefined && (!Number.isInteger(delay) || delay < 0)) {
    problems.add(`${property}.initialDelaySeconds`, `\`${property}.initialDelaySeconds\` (${show(delay)}) must be a whole number >= 0. Set it to 0 or more.`);
  }
}

/**
 * Checks a service definition; returns every problem, creates nothing.
 * `requirePort`: request-serving components need at least one port.
 */
export function validateServiceDefinition(
  def: ServiceDefinition,
  opts: { readonly requirePort: boolean; readonly prefix?: string },
): Problems {
  const problems = new Problems();
  const p = (s: string) => (opts.prefix ? `${opts.prefix}.${s}` : s);

  if (def.image === undefined || def.image === "") {
    problems.add(p("image"), `\`${p("image")}\` is required. Set it to an image reference such as "ghcr.io/acme/orders:1.4.2".`);
  } else if (isImageBuild(def.image) && def.image.context.trim() === "") {
    problems.add(p("image.context"), `\`${p("image.context")}\` (${show(def.image.context)}) must name the build context directory. Set it, e.g. "./app".`);
  }

  if (def.port !== undefined && def.ports !== undefined) {
    problems.add(p("port"), `\`${p("port")}\` (${def.port}) and \`${p("ports")}\` are both set. Use one: \`port\` is shorthand for a single port named "http".`);
  }
  const ports = resolvePorts(def);
  if (opts.requirePort && ports.length === 0) {
    problems.add(p("ports"), `\`${p("ports")}\` is empty: this service receives requests, so it needs a port. Set \`port\` (e.g. 8080) or \`ports\`.`);
  }
  const names = new Set<string>();
  const numbers = new Set<string>();
  ports.forEach((port, i) => {
    const base = def.ports ? `${p("ports")}[${i}]` : p("port");
    if (!IANA_SVC_NAME.test(port.name) || !/[a-z]/.test(port.name) || port.name.includes("--")) {
      problems.add(`${base}.name`, `\`${base}.name\` (${show(port.name)}) must be an IANA service name: at most 15 lower-case letters, digits and "-", with at least one letter. Use e.g. "http" or "grpc".`);
    }
    if (names.has(port.name)) {
      problems.add(`${base}.name`, `\`${base}.name\` (${show(port.name)}) is used by another port. Give each port a unique name.`);
    }
    names.add(port.name);
    checkPortNumber(problems, def.ports ? `${base}.port` : base, port.port);
    if (def.ports?.[i]?.servicePort !== undefined) checkPortNumber(problems, `${base}.servicePort`, port.servicePort);
    const key = `${port.protocol}/${port.port}`;
    if (numbers.has(key)) {
      problems.add(`${base}.port`, `\`${base}.port\` (${port.port}/${port.protocol}) is declared twice. Remove the duplicate.`);
    }
    numbers.add(key);
  });
  const portNumbers = new Set(ports.map((x) => x.port));

  if (def.healthPath !== undefined && !def.healthPath.startsWith("/")) {
    problems.add(p("healthPath"), `\`${p("healthPath")}\` (${show(def.healthPath)}) must start with "/". Use ${show("/" + def.healthPath)}.`);
  }
  for (const kind of ["readiness", "liveness", "startup"] as const) {
    checkProbe(problems, p(`probes.${kind}`), def.probes?.[kind], names, portNumbers);
  }

  const envNames = new Map<string, string>();
  const claim = (env: string, property: string) => {
    if (!isEnvName(env)) {
      problems.add(property, `\`${property}\` (${show(env)}) is not a valid environment variable name. Use letters, digits, "_", "-" and ".", not starting with a digit.`);
    }
    const other = envNames.get(env);
    if (other !== undefined) {
      problems.add(property, `\`${property}\` sets environment variable ${show(env)}, which \`${other}\` already sets. Rename one of them.`);
    }
    envNames.set(env, property);
  };
  for (const k of Object.keys(def.env ?? {})) claim(k, p(`env.${k}`));
  for (const k of Object.keys(def.secretEnv ?? {})) claim(k, p(`secretEnv.${k}`));

  resolveCalls(def).forEach((call, i) => {
    const property = p(`calls[${i}]`);
    if (call.target.port === undefined) {
      problems.add(property, `\`${property}\` (${show(call.target.logicalName)}) exposes no port, so it cannot be called. Give that service a port, or remove it from \`calls\`.`);
    }
    claim(call.env, normalizeCall((def.calls ?? [])[i]!).env !== undefined ? `${property}.env` : property);
  });

  const pdb = def.disruptionBudget;
  if (pdb && pdb.maxUnavailable !== undefined && pdb.minAvailable !== undefined) {
    problems.add(p("disruptionBudget"), `\`${p("disruptionBudget")}\` sets both \`maxUnavailable\` (${show(pdb.maxUnavailable)}) and \`minAvailable\` (${show(pdb.minAvailable)}). Keep one; \`maxUnavailable\` never blocks a drain.`);
  }

  const grace = def.terminationGracePeriodSeconds ?? 30;
  if (!Number.isInteger(grace) || grace < 0) {
    problems.add(p("terminationGracePeriodSeconds"), `\`${p("terminationGracePeriodSeconds")}\` (${show(grace)}) must be a whole number >= 0. Use e.g. 30.`);
  }
  const sleep = def.preStopSleepSeconds;
  if (sleep !== undefined && sleep !== null) {
    if (!Number.isInteger(sleep) || sleep < 1) {
      problems.add(p("preStopSleepSeconds"), `\`${p("preStopSleepSeconds")}\` (${show(sleep)}) must be a whole number >= 1, or null for no preStop hook.`);
    } else if (sleep >= grace) {
      problems.add(p("preStopSleepSeconds"), `\`${p("preStopSleepSeconds")}\` (${sleep}) must be less than \`terminationGracePeriodSeconds\` (${grace}), or the pod is killed while draining. Raise the grace period to ${sleep + 10} or shorten the sleep.`);
    }
  } else if (sleep === undefined && Number.isInteger(grace) && grace >= 0 && grace <= DEFAULT_PRESTOP_SLEEP) {
    problems.add(p("terminationGracePeriodSeconds"), `\`${p("terminationGracePeriodSeconds")}\` (${grace}) must be greater than the default preStop sleep (${DEFAULT_PRESTOP_SLEEP} s), or the pod is killed while draining. Raise it to ${DEFAULT_PRESTOP_SLEEP + 10}, or set \`${p("preStopSleepSeconds")}\` to null or a shorter sleep.`);
  }

  const svc = def.service;
  if (svc?.sessionAffinityTimeoutSeconds !== undefined) {
    const t = svc.sessionAffinityTimeoutSeconds;
    if (svc.sessionAffinity !== "ClientIP") {
      problems.add(p("service.sessionAffinityTimeoutSeconds"), `\`${p("service.sessionAffinityTimeoutSeconds")}\` (${t}) only applies with \`sessionAffinity: "ClientIP"\`. Set \`${p("service.sessionAffinity")}\` to "ClientIP" or remove the timeout.`);
    } else if (!Number.isInteger(t) || t < 1 || t > 86400) {
      problems.add(p("service.sessionAffinityTimeoutSeconds"), `\`${p("service.sessionAffinityTimeoutSeconds")}\` (${t}) must be from 1 to 86400. Use e.g. 10800.`);
    }
  }
  if (svc?.name !== undefined && !/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(svc.name)) {
    problems.add(p("service.name"), `\`${p("service.name")}\` (${show(svc.name)}) must be a DNS-1035 label of at most 63 characters. Use lower-case letters, digits and "-", starting with a letter.`);
  }

  const route = def.route;
  if (route) {
    if (ports.length === 0) {
      problems.add(p("route"), `\`${p("route")}\` needs a port to route to, but the service declares none. Add \`port\`.`);
    }
    (route.pathPrefixes ?? []).forEach((prefix, i) => {
      if (!prefix.startsWith("/")) {
        problems.add(p(`route.pathPrefixes[${i}]`), `\`${p(`route.pathPrefixes[${i}]`)}\` (${show(prefix)}) must start with "/". Use ${show("/" + prefix)}.`);
      }
    });
    const weights = [route.weight, ...(route.backends ?? []).map((b) => b.weight)];
    weights.forEach((w, i) => {
      if (w === undefined) return;
      const property = i === 0 ? p("route.weight") : p(`route.backends[${i - 1}].weight`);
      if (!Number.isInteger(w) || w < 0 || w > 1000000) {
        problems.add(property, `\`${property}\` (${show(w)}) must be a whole number from 0 to 1000000.`);
      }
    });
    (route.backends ?? []).forEach((b, i) => {
      if (b.target.port === undefined) {
        problems.add(p(`route.backends[${i}]`), `\`${p(`route.backends[${i}]`)}\` (${show(b.target.logicalName)}) exposes no port, so it cannot be a route backend. Give it a port or remove it.`);
      }
    });
  }

  for (const key of ["team", "partOf"] as const) {
    const v = def[key];
    if (v !== undefined && !isLabelValue(v)) {
      problems.add(p(key), `\`${p(key)}\` (${show(v)}) must be a valid label value: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit.`);
    }
  }
  for (const [k, v] of Object.entries(def.labels ?? {})) {
    if (isPlain(v) && !isLabelValue(v)) {
      problems.add(p(`labels.${k}`), `\`${p(`labels.${k}`)}\` (${show(v)}) must be a valid label value: at most 63 letters, digits, "-", "_" and ".".`);
    }
  }
  problems.addAll(validateMonitoring(def.monitoring, ports, p("monitoring")).list);
  return problems;
}
