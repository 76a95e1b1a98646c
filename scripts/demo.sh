#!/usr/bin/env bash
# The main job: deploy the example stack (examples/shop) to a local Kubernetes
# control plane with a locally built Pulumi, and show what was deployed.
#   bash scripts/demo.sh up     (npm run demo)       build what is missing, start the cluster, pulumi up
#   bash scripts/demo.sh down   (npm run demo:down)  pulumi destroy, stop the cluster
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
stack="${SWITCHYARD_DEMO_STACK:-demo}"

env_setup() {
  # shellcheck source=toolchain/pulumi-env.sh
  . "$root/scripts/toolchain/pulumi-env.sh"
  # shellcheck source=cluster/env.sh
  . "$root/scripts/cluster/env.sh"
  # `npm run typecheck` checks the example; the engine only needs to run it.
  export PULUMI_NODEJS_TRANSPILE_ONLY="${PULUMI_NODEJS_TRANSPILE_ONLY:-true}"
}

case "${1:-up}" in
  up)
    [ -d node_modules/@pulumi/pulumi ] || npm install --no-audit --no-fund
    bash scripts/toolchain/build-all.sh pulumi k8s addons
    bash scripts/cluster/up.sh
    npm run --silent build
    env_setup
    pulumi stack select --create "$stack" >/dev/null
    # The reference application's image, built from examples/app and imported
    # into the real nodes by cluster:up.
    image="$(sed -n 's/^app=//p' "$SWITCHYARD_STATE/cluster/run/images.env")"
    pulumi config set image "$image" --stack "$stack"
    pulumi up --yes --stack "$stack"
    ns="$(pulumi stack output namespaceName --stack "$stack")"
    echo
    echo "== Services (stack output) =="
    pulumi stack output services --stack "$stack" --json
    echo
    echo "== Kubernetes objects in namespace $ns =="
    kubectl get deployments,services,hpa,pdb,networkpolicies,httproutes -n "$ns"
    echo
    echo "== Pods and their zones =="
    kubectl get pods -n "$ns" -o custom-columns='POD:.metadata.name,READY:.status.conditions[?(@.type=="Ready")].status,NODE:.spec.nodeName' --sort-by=.spec.nodeName
    kubectl get nodes -L topology.kubernetes.io/zone
    echo
    echo "== Answered requests (from this host, through web's Service and kube-proxy) =="
    web_ip="$(kubectl get services -n "$ns" -l app.kubernetes.io/name=web -o jsonpath='{.items[0].spec.clusterIP}')"
    for path in / /call/catalog /call/checkout /call/catalog /call/checkout; do
      printf 'GET web%-15s -> ' "$path"
      curl -sS --max-time 5 "http://$web_ip:8080$path" || echo "(no answer)"
    done
    if pulumi stack output eventDiagram --stack "$stack" >/dev/null 2>&1; then
      echo
      echo "== Event flow (Mermaid) =="
      pulumi stack output eventDiagram --stack "$stack"
    fi
    echo
    echo "Deployed stack '$stack'. Inspect with: . scripts/toolchain/pulumi-env.sh; . scripts/cluster/env.sh; kubectl get all -n $ns"
    echo "Tear down with: npm run demo:down"
    ;;
  down)
    if [ -f "$root/.switchyard/cluster/kubeconfig" ]; then
      env_setup
      if pulumi stack select "$stack" >/dev/null 2>&1; then
        pulumi destroy --yes --stack "$stack" || true
        pulumi stack rm --yes --stack "$stack" || true
      fi
    fi
    bash scripts/cluster/down.sh
    ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
