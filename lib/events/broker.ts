import * as pulumi from "@pulumi/pulumi";
import type { BrokerInfo, BrokerKind } from "./contract";
import { EventGraphModel } from "./graph";
import { checkWhenProgramEnds } from "./graph-check";
import { checkName } from "../model/names";
import type { Problems } from "../model/problems";
import { BRAND } from "../components/brand";
import { throwIfInvalid } from "../components/workload-resources";
import type { RabbitClusterReference } from "./rabbitmq-manifests";

/** Arguments shared by every event component: the graph it registers in. */
export interface GraphScoped {
  /** Event graph to register in. @default - the stack's graph */
  readonly graph?: EventGraphModel;
}

/** Pods and port a client connects to, for NetworkPolicy. */
export interface ClientAccess {
  /** Labels of the broker's pods; unset for a server outside this stack. */
  readonly podSelector?: Record<string, string>;
  readonly port: number;
}

/**
 * The one interface every broker component implements. Topics, subscriptions
 * and services only use this surface, never a broker's children.
 */
export interface EventBroker {
  readonly kind: BrokerKind;
  readonly logicalName: string;
  /** What the topic model needs (kind, name, node count). */
  readonly info: BrokerInfo;
  /** The event graph this broker registered in. */
  readonly graph: EventGraphModel;
  /** Namespace of the broker's objects; topics and consumers are created there. */
  readonly namespace: pulumi.Output<string>;
  /** Client address without credentials (`nats://…`, `host:9092`, `amqp://…`). */
  readonly endpoint: pulumi.Output<string>;
  /** Client credentials (secret outputs); undefined when the server needs none. */
  readonly credentials?: { readonly username: pulumi.Output<string>; readonly password: pulumi.Output<string> };
  /** Pods and port a client connects to, for NetworkPolicy. */
  readonly clientAccess: ClientAccess;
  readonly nats?: { readonly accountName: pulumi.Output<string>; readonly monitoringEndpoint?: pulumi.Output<string> };
  readonly kafka?: { readonly clusterName: string };
  readonly rabbitmq?: { readonly clusterReference: RabbitClusterReference; readonly vhost: string };
}

const graphs = new WeakMap<object, { readonly graph: EventGraphModel; readonly generation: number }>();
let fallback: EventGraphModel | undefined;
let generation = 0;

/**
 * The event graph of the running stack. Keyed by the stack resource, so every
 * run of an Automation API inline program starts from an empty graph, and
 * checked automatically once the program is done (see `graph-check.ts`).
 * Under test mocks without a stack resource one process-wide graph is used,
 * reset with `resetEventGraph()`, and nothing is checked automatically.
 */
export function eventGraph(): EventGraphModel {
  const stack = pulumi.runtime.getStackResource();
  if (!stack) return (fallback ??= new EventGraphModel());
  const entry = graphs.get(stack);
  // A stack resource left over from a test run before `resetEventGraph()` counts as no stack.
  if (entry) return entry.generation === generation ? entry.graph : (fallback ??= new EventGraphModel());
  const graph = new EventGraphModel();
  const born = generation;
  graphs.set(stack, { graph, generation: born });
  checkWhenProgramEnds(stack, graph, () => born !== generation);
  return graph;
}

/**
 * Starts a new process-wide graph (tests, or programs run without a stack
 * resource), and retires the graphs of earlier stack resources: they are no
 * longer returned or checked.
 */
export function resetEventGraph(): EventGraphModel {
  generation++;
  return (fallback = new EventGraphModel());
}

/** A string for documents: the value when known synchronously, else a placeholder. */
export function plainOr(v: pulumi.Input<string> | undefined, placeholder: string): string {
  return typeof v === "string" ? v : placeholder;
}

/** Validates a broker's name against the graph and throws every problem before the component exists. */
export function checkBrokerArgs(type: string, name: string, problems: Problems, longestSuffix: string, graph?: EventGraphModel): EventGraphModel {
  const g = graph ?? eventGraph();
  checkName(problems, "name", name, longestSuffix);
  problems.addAll(g.checkBroker(name).list);
  throwIfInvalid(type, name, problems.list);
  return g;
}

/** Base of the broker components: brand, graph registration, outputs. */
export abstract class BrokerComponent extends pulumi.ComponentResource {
  declare readonly [BRAND]: string;
  readonly logicalName: string;
  readonly graph: EventGraphModel;
  abstract readonly info: BrokerInfo;
  abstract readonly endpoint: pulumi.Output<string>;
  abstract readonly namespace: pulumi.Output<string>;

  protected constructor(type: string, name: string, graph: EventGraphModel, opts?: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    Object.defineProperty(this, BRAND, { value: type, enumerable: false });
    this.logicalName = name;
    this.graph = graph;
  }

  /** Registers the broker in the event graph and its outputs; call last. */
  protected finish(kind: BrokerKind, host: string, existing: boolean): void {
    this.graph.addBroker({ kind, logicalName: this.logicalName, host, existing });
    this.registerOutputs({ endpoint: this.endpoint, namespace: this.namespace });
  }
}
