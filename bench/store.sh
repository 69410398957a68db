#!/usr/bin/env bash
# Store throughput per engine (append, flag update, change-log read) with BenchmarkDotNet,
# against private MariaDB and PostgreSQL servers that test.sh starts and stops.
#   bench/store.sh [BenchmarkDotNet args]     e.g. bench/store.sh --job short
set -euo pipefail
cd "$(dirname "$0")/.."
exec ./test.sh --with-servers dotnet run -c Release --project bench/Rookery.Benchmarks -- --filter '*StoreBenchmarks*' "$@"
