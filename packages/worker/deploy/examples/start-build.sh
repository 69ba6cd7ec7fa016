#!/bin/sh
# Example --exec command for a Kubernetes build cluster (EKS or any other): one pod per build.
#   start: creates pod "sd-build-<BUILD_ID>" that runs the build's container
#   stop:  deletes that pod
# The message arrives on stdin as JSON; BUILD_ID, MESSAGE_TYPE, BUILD_ATTEMPT, BUILD_CLUSTER and
# WORKER_ID are in the environment. Exit 0 = done (acked), anything else = try again (nacked).
#
# This only shows the contract. A real Screwdriver cluster launches builds with the Screwdriver
# launcher (executor-k8s does this); put that here instead of the plain "container" run below.
set -eu

NAMESPACE="${BUILD_NAMESPACE:-sd-builds}"
POD="sd-build-${BUILD_ID}"
message="$(cat)"

case "$MESSAGE_TYPE" in
  start)
    image="$(printf '%s' "$message" | jq -r '.container // "node:20"')"
    job="$(printf '%s' "$message" | jq -r '.jobName // "job"')"
    pipeline="$(printf '%s' "$message" | jq -r '.pipeline.name // "pipeline"')"
    # A redelivered start (attempt > 1) may find the pod of an earlier attempt: keep it.
    if kubectl -n "$NAMESPACE" get pod "$POD" >/dev/null 2>&1; then
      echo "pod $POD already exists (attempt $BUILD_ATTEMPT); nothing to do"
      exit 0
    fi
    kubectl -n "$NAMESPACE" run "$POD" --image="$image" --restart=Never \
      --labels="screwdriver.cd/build=${BUILD_ID},screwdriver.cd/cluster=${BUILD_CLUSTER}" \
      --annotations="screwdriver.cd/pipeline=${pipeline},screwdriver.cd/job=${job}" \
      -- /bin/sh -c 'echo "build started"; sleep 5'
    ;;
  stop)
    kubectl -n "$NAMESPACE" delete pod "$POD" --ignore-not-found --wait=false
    ;;
  *)
    echo "unknown message type $MESSAGE_TYPE" >&2
    exit 1
    ;;
esac
