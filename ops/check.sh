#!/usr/bin/env bash
# Checks the monitoring files with promtool (CI runs it; needs promtool on PATH, e.g. Debian's `prometheus` package):
#   - ops/prometheus/alerts.yml is a valid rule file, and its unit tests (alerts.test.yml) pass;
#   - every PromQL expression of the Grafana dashboard ops/grafana/pilothub.json parses (checked as recording rules).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v promtool >/dev/null || { echo "promtool not found (install Debian's prometheus package)" >&2; exit 1; }
promtool --version | head -1
promtool check rules ops/prometheus/alerts.yml
(cd ops/prometheus && promtool test rules alerts.test.yml)
rules="$(mktemp --suffix=.yml)"
trap 'rm -f "$rules"' EXIT
node -e '
  const dashboard = JSON.parse(require("fs").readFileSync("ops/grafana/pilothub.json", "utf8"));
  const exprs = dashboard.panels.flatMap((panel) => (panel.targets || []).map((target) => target.expr));
  if (exprs.length === 0) throw new Error("the dashboard has no queries");
  const rules = exprs.map((expr, index) => `      - record: dashboard:query_${index}\n        expr: ${JSON.stringify(expr)}`);
  console.log(["groups:", "  - name: dashboard", "    rules:", ...rules].join("\n"));
' >"$rules"
echo "Checking the dashboard's queries ($(grep -c 'record:' "$rules"))"
promtool check rules "$rules"
