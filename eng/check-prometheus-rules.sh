#!/usr/bin/env bash
# Validates the Prometheus alerting rules shipped under deploy/prometheus: `promtool check rules`
# on every rule file (*.rules.yml) and `promtool test rules` on every unit-test file (*.test.yml).
# Exits non-zero if promtool is missing, a rule file is invalid or a unit test fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v promtool >/dev/null 2>&1; then
  echo "promtool not found: install it with 'apt-get install -y prometheus' (the Debian package that provides promtool)" >&2
  exit 1
fi

shopt -s nullglob globstar
rule_files=(deploy/prometheus/**/*.rules.yml)
test_files=(deploy/prometheus/**/*.test.yml)
if [ ${#rule_files[@]} -eq 0 ]; then echo "no *.rules.yml under deploy/prometheus" >&2; exit 1; fi
if [ ${#test_files[@]} -eq 0 ]; then echo "no *.test.yml under deploy/prometheus" >&2; exit 1; fi

echo "== promtool check rules"
promtool check rules "${rule_files[@]}"
echo "== promtool test rules"
promtool test rules "${test_files[@]}"
