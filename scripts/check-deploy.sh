#!/usr/bin/env bash
# Checks the deployment files that need tools beside the test suite's own (docs/operations.md):
# - the Kubernetes manifests against Kubernetes' JSON schemas, with kubernetes-validate (PyPI; it ships the schemas, so
#   no cluster or network is needed once installed), installed into a virtual environment under .build/;
# - the systemd unit with systemd-analyze verify (its ExecStart pointed at the built binary);
# - the alert rules with promtool.
# No container engine runs here: the Dockerfile is not built.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/deploy-check-venv
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'kubernetes-validate==1.37.0'
fi
"$venv/bin/kubernetes-validate" --strict --kubernetes-version 1.31 deploy/kubernetes/mailsift.yaml
binary=$PWD/.build/debug/mailsift
[ -x "$binary" ] || binary=$PWD/.build/release/mailsift
unit=$(mktemp -d)/mailsift.service
sed "s#/usr/local/bin/mailsift#$binary#" deploy/systemd/mailsift.service > "$unit"
# verify warns of a bad directive and still exits 0: any output is a failure.
out=$(systemd-analyze verify "$unit" 2>&1 || true)
if [ -n "$out" ]; then echo "$out" >&2; exit 1; fi
promtool check rules deploy/prometheus/mailsift-alerts.yml
promtool test rules deploy/prometheus/mailsift-alerts.test.yml
echo "deployment files: ok"
