#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions run from traps look unreachable to shellcheck
# bench/compare/imaptest.sh — Dovecot's own load tester, imaptest, in its stress mode against Rookery and
# Dovecot on the same machine in one run: each side's totals, errors and dropped connections, and the ratios.
#
#   bench/compare/imaptest.sh [-c "10 50"] [-t SECONDS] [--churn-secs SECONDS] [-m "stay login churn"]
#                             [--only rookery|dovecot] [--no-build] [--keep]
#
#   -c LIST          client counts (default "10 50")
#   -t SECONDS       seconds per stress run (default 300)
#   --churn-secs S   seconds per login-churn run (default 60)
#   -m MODES         which runs, in this order for each client count (default "stay login churn"):
#                      stay     imaptest's default mix with logout=0: every client logs in once and stays
#                      login    the same mix logging in and out, with checkpoint=10 (cross-session state checks)
#                      login1   the same as login with every client on one user's INBOX (users=1-1): the
#                               harshest state check, and the checkpointed run imaptest finishes at 50 clients
#                               (see docs/performance.md: with several mailboxes its checkpoint bookkeeping
#                               can trip its own assertion when checkpoints of two mailboxes overlap)
#                      relogin  the same mix logging in and out, without checkpoints
#                      churn    LOGIN and LOGOUT only (imaptest "- select=0"): sessions per second
#   --only SERVER    run one side only (no ratios)
#   --engine E       Rookery's database: sqlite (default) or postgresql / mysql, which it runs under
#                    `./test.sh --with-servers` (private, durable server) unless ROOKERY_TEST_* are set
#   --no-build       use the Release build as it is
#   --keep           keep the temp directory (configs, mail, logs)
#
# imaptest is .bench-tools/imaptest/imaptest when bench/compare/imaptest-build.sh has built it (the
# same commits with a fix for its checkpoint bookkeeping), else ../shared/tools/imaptest/imaptest (see its
# README), or $IMAPTEST; the APPEND corpus
# ../shared/conformance/mbox/dovecot-crlf-100; users u1..u10, password "pass" on both servers.
# Passwords are hashed at rest on both sides, as in production: Rookery with its default
# (PBKDF2-SHA512, password_hash_iterations unset), Dovecot with SHA512-CRYPT and its auth cache on
# (auth_cache_size = 10M, auth_cache_ttl = 1 hour), as a production Dovecot would run.
# Rookery: `rookery serve`, IMAP only, SQLite. Dovecot from Debian: maildir, mail_fsync = always,
# passwd-file users; neither /etc/dovecot nor any system service is used.
#
# Per run it prints imaptest's totals (commands of every kind summed, per second), the number of
# "Error:" lines imaptest printed (a state or protocol error it saw; Dovecot gives none), the
# connections that were lost ("disconnected" in its output) and the server's RSS before and after.
# Results (summary.md, each run's whole imaptest output, server logs and configs) go to
# .bench-results/imaptest-<date>/.

set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BENCH=imaptest

usage() {
  echo "usage: bench/compare/imaptest.sh [-c \"10 50\"] [-t SECONDS] [--churn-secs SECONDS] [-m \"stay login churn\"] [--only rookery|dovecot] [--engine sqlite|postgresql|mysql] [--no-build] [--keep]" >&2
  exit 2
}
LEVELS="10 50"; SECONDS_RUN=300; CHURN_SECS=60; MODES="stay login churn"; ONLY=""; BUILD=1; KEEP=0; ENGINE=sqlite
ORIGINAL_ARGS=("$@")
is_int() { [[ $1 =~ ^[0-9]+$ ]] && (( $1 > 0 )); }
while (($# > 0)); do
  case $1 in
    -c) [[ $# -ge 2 ]] || usage; LEVELS=$2; shift 2 ;;
    -t) [[ $# -ge 2 ]] && is_int "$2" || usage; SECONDS_RUN=$2; shift 2 ;;
    --churn-secs) [[ $# -ge 2 ]] && is_int "$2" || usage; CHURN_SECS=$2; shift 2 ;;
    -m) [[ $# -ge 2 ]] || usage; MODES=$2; shift 2 ;;
    --only) [[ $# -ge 2 && $2 =~ ^(rookery|dovecot)$ ]] || usage; ONLY=$2; shift 2 ;;
    --engine) [[ $# -ge 2 && $2 =~ ^(sqlite|postgresql|mysql)$ ]] || usage; ENGINE=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//' >&2; usage ;;
    *) usage ;;
  esac
done
for c in $LEVELS; do is_int "$c" || usage; done
for m in $MODES; do [[ $m =~ ^(stay|login|login1|relogin|churn)$ ]] || usage; done
# The server engines need a database server: run under test.sh, which starts private MariaDB /
# PostgreSQL instances (durable: TEST_DURABLE=1), exports ROOKERY_TEST_*, runs this and stops them.
if [[ $ENGINE == mysql && -z ${ROOKERY_TEST_MYSQL_HOST:-} ]] || [[ $ENGINE == postgresql && -z ${ROOKERY_TEST_PG_HOST:-} ]]; then
  [[ -z ${IMAPTEST_BENCH_UNDER_TEST_SH:-} ]] || { echo "test.sh did not export the ROOKERY_TEST_* variables for $ENGINE" >&2; exit 1; }
  export IMAPTEST_BENCH_UNDER_TEST_SH=1
  TEST_ENGINES=$ENGINE TEST_DURABLE=1 exec ./test.sh --with-servers "$ROOT/bench/compare/imaptest.sh" "${ORIGINAL_ARGS[@]}"
fi
SHARED=$(cd "$ROOT/.." && pwd)/shared
# imaptest: $IMAPTEST when set, else the patched build of bench/compare/imaptest-build.sh when there is one,
# else the shared build, whose checkpoint bookkeeping asserts in runs with checkpoints over several mailboxes
if [[ -z ${IMAPTEST:-} ]]; then
  IMAPTEST=$SHARED/tools/imaptest/imaptest
  [[ -x $ROOT/.bench-tools/imaptest/imaptest ]] && IMAPTEST=$ROOT/.bench-tools/imaptest/imaptest
fi
if [[ $IMAPTEST == "$SHARED/tools/imaptest/imaptest" && " $MODES " == *" login "* ]]; then
  echo "warning: the shared imaptest asserts in 'login' runs (checkpoints over 10 mailboxes); bench/compare/imaptest-build.sh builds the fixed one" >&2
fi
MBOX=$SHARED/conformance/mbox/dovecot-crlf-100
[[ -x $IMAPTEST ]] || { echo "imaptest missing: $IMAPTEST" >&2; exit 1; }
[[ -f $MBOX ]] || { echo "corpus missing: $MBOX" >&2; exit 1; }

USERS=10 FIRST_USER=1 USER_PREFIX=u PASSWORD=pass NEED_LOAD=0
ROOKERY_HASH_ITERATIONS=""       # Rookery's default cost
DOVECOT_SCHEME=SHA512-CRYPT
DOVECOT_EXTRA="auth_cache_size = 10M
auth_cache_ttl = 1 hour
auth_cache_negative_ttl = 1 hour"
NOISE_CORES=${IMAP_BENCH_NOISE_CORES:-0.3}
# shellcheck source=bench/compare/imap-common.sh
. "$ROOT/bench/compare/imap-common.sh"
ROOKERY_DATABASE_CONFIG=$(rookery_database_config "$ENGINE" "rookery_imaptest_$$")

install_missing
[[ $(id -u) == 0 ]] || die "run as root: Dovecot's imap processes switch to the mail user's uid"
build_all
make_tmp
[[ $ONLY == dovecot ]] || start_rookery
[[ $ONLY == rookery ]] || start_dovecot
SIDES="rookery dovecot"
[[ -z $ONLY ]] || SIDES=$ONLY

rss_mb() {  # resident memory of a server in MB (Dovecot: every process of its tree)
  local total=0 p pids
  if [[ $1 == rookery ]]; then pids=$ROOKERY_PID; else pids="$DOVECOT_PID $(descendants "$DOVECOT_PID")"; fi
  for p in $pids; do total=$(( total + $(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0) )); done
  echo $(( total / 1024 ))
}

PANICS=()
printf 'server\tmode\tclients\tsecs\tcommands\tcmds_per_s\tlogins\tlogins_per_s\terrors\tdisconnects\trss_before_mb\trss_after_mb\tserver_cpu_s\n' >"$TMP/runs.tsv"
# run SERVER MODE CLIENTS: one imaptest run; its output goes to $TMP/imaptest-SERVER-MODE-cCLIENTS.txt
run() {
  local server=$1 mode=$2 c=$3 port secs args out rss0 rss1 cpu0 cpu1 totals commands logins errors disconnects rc=0
  if [[ $server == rookery ]]; then port=$ROOKERY_PORT; else port=$DOVECOT_PORT; fi
  local users=1-10
  [[ $mode != login1 ]] || users=1-1
  args=(host=127.0.0.1 "port=$port" "user=u%d" "users=$users" pass=pass "mbox=$MBOX" "clients=$c")
  case $mode in
    stay) secs=$SECONDS_RUN; args+=(logout=0) ;;
    login) secs=$SECONDS_RUN; args+=(checkpoint=10) ;;
    login1) secs=$SECONDS_RUN; args+=(checkpoint=10) ;;
    relogin) secs=$SECONDS_RUN ;;
    churn) secs=$CHURN_SECS; args+=(- select=0) ;;
  esac
  out=$TMP/imaptest-$server-$mode-c$c.txt
  wait_quiet
  rss0=$(rss_mb "$server"); cpu0=$(server_cpu "$server")
  say "$server: imaptest $mode, $c clients, ${secs}s"
  local attempt
  for ((attempt = 1; attempt <= 3; attempt++)); do
    rc=0
    timeout $(( secs + 120 )) "$IMAPTEST" "${args[@]}" "secs=$secs" >"$out" 2>&1 </dev/null || rc=$?
    # imaptest's own assertions (client_update_plan, checkpoint_neg) fire now and then against either
    # server: such a run says nothing of the server; it is kept and done again
    grep -q 'Panic: ' "$out" || break
    warn "imaptest panicked ($(grep -o -m 1 'Panic: .*' "$out")); kept as $out.panic$attempt, running again"
    mv "$out" "$out.panic$attempt"; cp "$out.panic$attempt" "$RESULTS/"
    PANICS+=("$server $mode c=$c: $(grep -o -m 1 'Panic: .*' "$out.panic$attempt")")
  done
  cpu1=$(server_cpu "$server"); sleep 5; rss1=$(rss_mb "$server")
  if [[ ! -f $out ]]; then
    # every attempt ended in one of imaptest's assertions: no totals to report for this side
    printf '%s\t%s\t%s\t%s\t-\timaptest panicked\t-\t-\t-\t-\t%s\t%s\t-\n' "$server" "$mode" "$c" "$secs" "$rss0" "$rss1" >>"$TMP/runs.tsv"
    warn "$server $mode c=$c: imaptest panicked in all 3 attempts; no result"
    return
  fi
  # the Totals block: a line of state names, a line of percentages (and maybe one of repeat rates), the counts
  totals=$(awk '/^Totals:/ { t = 1; next } t && /^ *[0-9]+( +[0-9]+)* *$/ { print; exit }' "$out")
  commands=$(awk '{ for (i = 1; i <= NF; i++) s += $i } END { print s + 0 }' <<<"$totals")
  logins=$(awk '{ print $1 + 0 }' <<<"$totals")
  errors=$(grep -c '^Error:' "$out" || true)
  disconnects=$(grep -ciE 'disconnected|connection (reset|lost|closed)' "$out" || true)
  (( rc == 0 || rc == 124 )) || warn "imaptest exited with $rc (see $out)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$mode" "$c" "$secs" "$commands" \
    "$(awk -v n="$commands" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')" "$logins" \
    "$(awk -v n="$logins" -v s="$secs" 'BEGIN { printf "%.1f", n / s }')" "$errors" "$disconnects" "$rss0" "$rss1" \
    "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.1f", b - a }')" >>"$TMP/runs.tsv"
  tail -n 1 "$TMP/runs.tsv" | awk -F'\t' '{ printf "    %s %s c=%s: %s commands/s, %s logins/s, %s errors, %s disconnects, RSS %s -> %s MB\n", $1, $2, $3, $6, $8, $9, $10, $11, $12 }' >&2
  cp "$out" "$RESULTS/"
}

for c in $LEVELS; do
  for m in $MODES; do
    for s in $SIDES; do run "$s" "$m" "$c"; done
  done
done

# ----------------------------------------------------------------- report ---
value() {  # value SERVER MODE CLIENTS COLUMN
  awk -F'\t' -v s="$1" -v m="$2" -v c="$3" -v col="$4" 'NR > 1 && $1 == s && $2 == m && $3 == c { print $col }' "$TMP/runs.tsv"
}
{
  echo
  echo "imaptest stress, $(date '+%Y-%m-%d %H:%M'), $(nproc) cores, $(. /etc/os-release && echo "$PRETTY_NAME"),"
  echo "imaptest: $IMAPTEST"
  echo "Rookery $(git -C "$ROOT" rev-parse --short HEAD) on .NET $DOTNET_VERSION ($ENGINE; PBKDF2-SHA512 at its default cost); Dovecot $DOVECOT_VERSION (maildir, mail_fsync = always, SHA512-CRYPT, auth cache on);"
  echo "users u1..u10, APPENDs from dovecot-crlf-100; stay: logout=0, login: logging in and out with checkpoint=10, relogin: the same without checkpoints, churn: LOGIN/LOGOUT only"
  echo
  echo "| run | clients | secs | Rookery cmds/s | Dovecot cmds/s | ratio R/D | Rookery errors / drops | Dovecot errors / drops | Rookery RSS before → after (MB) |"
  echo "|-----|--------:|-----:|---------------:|---------------:|----------:|-----------------------:|-----------------------:|--------------------------------:|"
  for c in $LEVELS; do
    for m in $MODES; do
      col=6; [[ $m == churn ]] && col=8
      r=$(value rookery "$m" "$c" $col); d=$(value dovecot "$m" "$c" $col)
      printf '| %s%s | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s → %s |\n' "$m" "$([[ $m == churn ]] && echo ' (logins/s)')" "$c" \
        "$(value "${ONLY:-rookery}" "$m" "$c" 4)" "${r:--}" "${d:--}" \
        "$(awk -v r="${r:-0}" -v d="${d:-0}" 'BEGIN { if (d + 0 > 0 && r + 0 > 0) printf "%.2f", r / d; else print "-" }')" \
        "$(value rookery "$m" "$c" 9)" "$(value rookery "$m" "$c" 10)" "$(value dovecot "$m" "$c" 9)" "$(value dovecot "$m" "$c" 10)" \
        "$(value rookery "$m" "$c" 11)" "$(value rookery "$m" "$c" 12)"
    done
  done
  echo
  echo "cmds/s: every command imaptest counted in its Totals line, summed, over the run's seconds; errors: its \"Error:\" lines;"
  echo "drops: connections it reported lost. Whole outputs: imaptest-<server>-<run>-c<clients>.txt beside this file."
  if ((${#PANICS[@]} > 0)); then
    echo
    echo "imaptest itself panicked in these runs, which were done again (outputs *.panicN):"
    printf -- '- %s\n' "${PANICS[@]}"
  fi
} | tee "$RESULTS/summary.md"
cp "$TMP/runs.tsv" "$RESULTS/"
FAILED=()
report_end "runs had errors"
