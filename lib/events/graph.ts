import { Construct, RootConstruct } from "constructs";
import { BROKER_TITLES, type BrokerKind, type TopicSpec } from "./contract";
import type { DeliveryContract } from "./delivery";
import { subjectsOverlap } from "./subjects";
import { Problems, show } from "../model/problems";

/**
 * The event graph of one stack: brokers, their topics, and the services and
 * consumers that publish and subscribe, as a `constructs` tree
 * (root -> broker -> topic; root -> service -> subscription). Every component
 * registers itself; rules that need the whole graph run in `check()`. Pure.
 */

export interface BrokerNodeProps {
  readonly kind: BrokerKind;
  readonly logicalName: string;
  /** Host (and port) for documents, e.g. `nats.events.svc.cluster.local:4222`. */
  readonly host: string;
  /** True when the broker is not run by this stack. */
  readonly existing: boolean;
}

export class BrokerNode extends Construct {
  readonly topics: TopicNode[] = [];
  constructor(scope: Construct, readonly props: BrokerNodeProps) {
    super(scope, nodeId(props.logicalName));
  }
}

export interface PublishEdge {
  readonly service: ServiceNode;
  /** Subjects the service publishes (empty: any subject of the topic). */
  readonly subjects: readonly string[];
}

export class TopicNode extends Construct {
  readonly publishers: PublishEdge[] = [];
  readonly subscriptions: SubscriptionNode[] = [];
  /** Subscriptions that dead-letter into this topic. */
  readonly deadLetterSources: SubscriptionNode[] = [];
  constructor(readonly broker: BrokerNode, readonly spec: TopicSpec) {
    super(broker, nodeId(spec.logicalName));
  }
}

export interface LagScaling {
  /** Durable name of the subscription the service scales on. */
  readonly durableName: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
}

export class ServiceNode extends Construct {
  readonly publishes: TopicNode[] = [];
  readonly subscriptions: SubscriptionNode[] = [];
  scaling?: LagScaling;
  /** `service` for a service of any kind (AutoScaledService, FailoverGroup, EventService), `consumer` for a standalone Subscription's reader. */
  constructor(scope: Construct, readonly logicalName: string, readonly role: "service" | "consumer", readonly description?: string) {
    super(scope, nodeId(logicalName));
  }
}

export class SubscriptionNode extends Construct {
  constructor(readonly owner: ServiceNode, readonly topic: TopicNode, readonly contract: DeliveryContract) {
    super(owner, nodeId(`${topic.broker.props.logicalName}.${topic.spec.logicalName}.${contract.durableName}`));
  }
}

/** Result of the whole-graph check. */
export interface GraphReport {
  /** Definite mistakes: the preview fails. */
  readonly errors: readonly { readonly path: string; readonly message: string }[];
  /** Suspicious but legal: reported with `pulumi.log.warn`. */
  readonly warnings: readonly string[];
}

function nodeId(name: string): string {
  return name.replace(/\//g, "--");
}

export class EventGraphModel extends RootConstruct {
  private readonly brokerScope: Construct;
  private readonly serviceScope: Construct;
  private sealer?: string;
  private readonly listeners: (() => void)[] = [];

  constructor(id = "events") {
    super(id);
    this.brokerScope = new Construct(this, "brokers");
    this.serviceScope = new Construct(this, "services");
  }

  get brokers(): BrokerNode[] {
    return this.brokerScope.node.children as BrokerNode[];
  }
  get services(): ServiceNode[] {
    return this.serviceScope.node.children as ServiceNode[];
  }
  get topics(): TopicNode[] {
    return this.brokers.flatMap((b) => b.topics);
  }

  /** Marks the graph as checked and exported; later registrations are refused. */
  seal(by: string): void {
    this.sealer = by;
  }

  /** Name of the `EventGraph` that checked and sealed the graph; undefined while it is open. */
  get sealedBy(): string | undefined {
    return this.sealer;
  }

  /**
   * Calls `listener` after every later registration (broker, topic, service,
   * subscription, publisher). The stack's automatic check uses it to check
   * again what is declared after it ran.
   */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  /** Problems with registering something now (a sealed graph, a duplicate name). */
  private checkOpen(problems: Problems, what: string): void {
    if (this.sealer !== undefined) {
      problems.add("name", `${what} is declared after EventGraph ${show(this.sealer)}, which has already checked and exported the graph. Create the EventGraph after every broker, topic and service.`);
    }
  }

  checkBroker(logicalName: string): Problems {
    const problems = new Problems();
    this.checkOpen(problems, `Broker ${show(logicalName)}`);
    if (this.brokerScope.node.tryFindChild(nodeId(logicalName))) {
      problems.add("name", `A broker named ${show(logicalName)} is already in the event graph. Give each broker a unique name.`);
    }
    return problems;
  }

  addBroker(props: BrokerNodeProps): BrokerNode {
    const node = new BrokerNode(this.brokerScope, props);
    this.changed();
    return node;
  }

  broker(logicalName: string): BrokerNode | undefined {
    return this.brokerScope.node.tryFindChild(nodeId(logicalName)) as BrokerNode | undefined;
  }

  /** Topic conflicts on its broker: duplicate names, JetStream subjects claimed by two streams. */
  checkTopic(spec: TopicSpec): Problems {
    const problems = new Problems();
    this.checkOpen(problems, `Topic ${show(spec.logicalName)}`);
    const broker = this.broker(spec.broker.logicalName);
    if (!broker) return problems;
    for (const other of broker.topics) {
      if (other.spec.logicalName === spec.logicalName) {
        problems.add("name", `A topic named ${show(spec.logicalName)} is already declared on broker ${show(broker.props.logicalName)}. Give each topic a unique name.`);
      } else if (other.spec.name === spec.name) {
        problems.add("name", `\`name\` (${show(spec.name)}) is already used by topic ${show(other.spec.logicalName)} on broker ${show(broker.props.logicalName)}. Choose another name.`);
      } else if (spec.broker.kind === "nats") {
        for (const s of spec.subjects) {
          const clash = other.spec.subjects.find((o) => subjectsOverlap(o, s));
          if (clash !== undefined) {
            problems.add("subjects", `Subject ${show(s)} overlaps ${show(clash)} of topic ${show(other.spec.logicalName)}; JetStream refuses two streams that capture the same subject. Make the subjects disjoint.`);
          }
        }
      }
    }
    return problems;
  }

  addTopic(spec: TopicSpec): TopicNode {
    const broker = this.broker(spec.broker.logicalName);
    if (!broker) throw new Error(`broker ${show(spec.broker.logicalName)} is not in the event graph`);
    const node = new TopicNode(broker, spec);
    broker.topics.push(node);
    this.changed();
    return node;
  }

  topic(spec: TopicSpec): TopicNode {
    const node = this.broker(spec.broker.logicalName)?.topics.find((t) => t.spec.logicalName === spec.logicalName);
    if (!node) throw new Error(`topic ${show(spec.logicalName)} is not in the event graph`);
    return node;
  }

  checkService(logicalName: string): Problems {
    const problems = new Problems();
    this.checkOpen(problems, `Service ${show(logicalName)}`);
    if (this.serviceScope.node.tryFindChild(nodeId(logicalName))) {
      problems.add("name", `A service or consumer named ${show(logicalName)} is already in the event graph. Give each one a unique name.`);
    }
    return problems;
  }

  addService(logicalName: string, role: "service" | "consumer", description?: string): ServiceNode {
    const node = new ServiceNode(this.serviceScope, logicalName, role, description);
    this.changed();
    return node;
  }

  /** A durable consumer is shared by everything that names it: two owners would steal each other's messages. */
  checkSubscription(topic: TopicSpec, durableName: string, property: string): Problems {
    const problems = new Problems();
    const node = this.broker(topic.broker.logicalName)?.topics.find((t) => t.spec.logicalName === topic.logicalName);
    const other = node?.subscriptions.find((s) => s.contract.durableName === durableName);
    if (other) {
      problems.add(`${property}.durableName`, `\`${property}.durableName\` (${show(durableName)}) on topic ${show(topic.logicalName)} is already used by ${show(other.owner.logicalName)}; two owners of one durable consumer would take each other's messages. Choose another durable name.`);
    }
    return problems;
  }

  addSubscription(owner: ServiceNode, topic: TopicSpec, contract: DeliveryContract): SubscriptionNode {
    const t = this.topic(topic);
    const sub = new SubscriptionNode(owner, t, contract);
    t.subscriptions.push(sub);
    owner.subscriptions.push(sub);
    if (contract.deadLetter) this.topic(contract.deadLetter).deadLetterSources.push(sub);
    this.changed();
    return sub;
  }

  addPublisher(owner: ServiceNode, topic: TopicSpec, subjects: readonly string[]): void {
    const t = this.topic(topic);
    t.publishers.push({ service: owner, subjects });
    owner.publishes.push(t);
    this.changed();
  }

  /** Rules that need the whole graph. */
  check(): GraphReport {
    const errors: { path: string; message: string }[] = [];
    const warnings: string[] = [];
    for (const t of this.topics) {
      const name = show(t.spec.logicalName);
      const fed = t.spec.external || t.publishers.length > 0 || t.deadLetterSources.length > 0;
      for (const sub of t.subscriptions) {
        if (!fed) {
          errors.push({
            path: sub.node.path,
            message: `${show(sub.owner.logicalName)} subscribes to topic ${name} (durable ${show(sub.contract.durableName)}), but nothing in this stack publishes to it. Add the topic to a service's \`publishes\`, or declare it \`external: true\` if it is fed from outside the stack.`,
          });
        }
      }
      if (t.deadLetterSources.length > 0 && t.subscriptions.length === 0) {
        const from = t.deadLetterSources.map((s) => show(`${s.owner.logicalName}/${s.contract.durableName}`)).join(", ");
        errors.push({
          path: t.node.path,
          message: `Topic ${name} receives the dead letters of ${from}, but nothing subscribes to it, so failed messages would pile up unseen. Subscribe a service or consumer to ${name} (to alert, inspect or replay).`,
        });
      }
      if (t.spec.deadLetterFor.length > 0 && t.deadLetterSources.length === 0) {
        warnings.push(`Topic ${name} is declared \`deadLetterFor\` ${t.spec.deadLetterFor.map((s) => show(s.logicalName)).join(", ")}, but no subscription names it as its \`deadLetter\`; it will stay empty.`);
      }
      if (t.publishers.length > 0 && t.subscriptions.length === 0 && !t.spec.external) {
        warnings.push(`Topic ${name} is published to by ${t.publishers.map((p) => show(p.service.logicalName)).join(", ")}, but nothing in this stack subscribes to it. Fine if it is read from outside; otherwise its messages are kept until retention drops them.`);
      }
      if (!fed && t.subscriptions.length === 0 && t.spec.deadLetterFor.length === 0) {
        warnings.push(`Topic ${name} has no publisher and no subscriber in this stack.`);
      }
    }
    for (const svc of this.services) {
      for (const sub of svc.subscriptions) {
        const c = sub.contract;
        // A dead-letter reader has nowhere further to send what it cannot handle: no warning for it.
        const readsDeadLetters = sub.topic.spec.deadLetterFor.length > 0 || sub.topic.deadLetterSources.length > 0;
        if (!c.deadLetter && c.maxDeliveries !== -1 && !readsDeadLetters) {
          warnings.push(`${show(svc.logicalName)} subscription ${show(c.durableName)} has no \`deadLetter\`: a message that fails ${c.maxDeliveries} deliveries is dropped without a trace. Set \`deadLetter\` to keep it.`);
        }
      }
      const s = svc.scaling;
      if (!s) continue;
      const sub = svc.subscriptions.find((x) => x.contract.durableName === s.durableName);
      if (sub?.contract.ordered && s.maxReplicas > 1) {
        warnings.push(`${show(svc.logicalName)} scales up to ${s.maxReplicas} replicas on the ordered subscription ${show(s.durableName)}, but an ordered subscription delivers one message at a time: only one replica does work. Set \`scaling.maxReplicas\` to 1, or drop \`ordered\`.`);
      }
    }
    return { errors, warnings };
  }

  /** Subjects of a topic as the diagram shows them (JetStream advisories shortened). */
  static displaySubjects(t: TopicSpec): string[] {
    return t.subjects.map((s) => s.replace(/^\$JS\.EVENT\.ADVISORY\.CONSUMER\.MAX_DELIVERIES\./, "max-deliveries:"));
  }

  static brokerTitle(kind: BrokerKind): string {
    return BROKER_TITLES[kind];
  }
}
