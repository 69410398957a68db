#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions run from traps look unreachable to shellcheck
# bench/compare/imap-load.sh — an IMAP client mix: Rookery against Dovecot, same machine, same run.
#
#   bench/compare/imap-load.sh [-c "10 100"] [-t SECONDS] [-w SECONDS] [-r REPEAT] [-u USERS]
#                              [-m MESSAGES] [--idle-ms MS] [--no-build] [--keep]
#
#   -c LIST       client counts, i.e. concurrent IMAP sessions (default "10 100")
#   -t SECONDS    measured seconds per run (default 30)
#   -w SECONDS    warm-up seconds at the start of each run, not measured (default 5)
#   -r REPEAT     runs per server and client count; the table shows the median (default 3)
#   -u USERS      users bench0..; client i logs in as bench(i mod USERS) (default 10)
#   -m MESSAGES   messages in each user's INBOX before measuring (default 100: the whole corpus,
#                 ../shared/conformance/mbox/dovecot-crlf-100, one APPEND per message)
#   --idle-ms MS  how long each IDLE lasts (default 20); its latency is counted beyond that
#   --no-build    use the Release builds as they are
#   --keep        keep the temp directory (configs, mail, logs)
#
# Each client (bench/compare/imap-load, MailKit) logs in, SELECTs INBOX and then repeats one cycle
# until the run is over (it stops between cycles):
#   SELECT INBOX; UID FETCH of 20 consecutive messages (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE
#   BODY.PEEK[HEADER]); UID FETCH BODY.PEEK[] of one message; UID STORE +FLAGS (\Flagged) (-FLAGS in
#   the next cycle); UID SEARCH UNSEEN (SUBJECT "dovecot" in the next cycle); APPEND of one corpus
#   message; STORE +FLAGS.SILENT (\Deleted) + UID EXPUNGE of that message (one "Expunge" operation);
#   IDLE for --idle-ms, then DONE.
# So every mailbox ends a run as it began. Operations/s counts every command above (Expunge once)
# started in the measured window; latencies are client-side, from sending to the tagged reply.
#
# Servers: Rookery (`rookery serve`, IMAP only, SQLite WAL, content fsynced before the tagged OK,
# flag changes and expunges fsynced within sqlite_state_sync_delay = 200 ms, its default) and Dovecot from Debian (`dovecot -F -c` with a config written here: IMAP only,
# loopback, maildir, mail_fsync = always, passwd-file users), both with their per-user and per-address
# session limits raised. Neither /etc/dovecot nor any system service is used; the script stops
# exactly the two servers it started. Missing Debian packages (dovecot-core, dovecot-imapd) are
# installed.
#
# On a shared machine: before each run it waits (up to IMAP_BENCH_QUIET_WAIT s, 300) until other
# processes use less than IMAP_BENCH_NOISE_CORES cores (0.2); a run during which the machine was busier
# than the two servers plus the load generator is marked disturbed and done again (up to
# IMAP_BENCH_RETRIES times, 3). The load generator runs on the same machine (its CPU is printed).
#
# Results (tables, per-run and per-command numbers, server configs and logs) go to .bench-results/imap-load-<date>/.

set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BENCH=imap-load

usage() {
  echo "usage: bench/compare/imap-load.sh [-c \"10 100\"] [-t SECONDS] [-w SECONDS] [-r REPEAT] [-u USERS] [-m MESSAGES] [--idle-ms MS] [--no-build] [--keep]" >&2
  exit 2
}
LEVELS="10 100"; SECONDS_RUN=30; WARMUP=5; REPEAT=3; USERS=10; MESSAGES=100; IDLE_MS=20; BUILD=1; KEEP=0
is_int() { [[ $1 =~ ^[0-9]+$ ]] && (( $1 > 0 )); }
while (($# > 0)); do
  case $1 in
    -c) [[ $# -ge 2 ]] || usage; LEVELS=$2; shift 2 ;;
    -t) [[ $# -ge 2 ]] && is_int "$2" || usage; SECONDS_RUN=$2; shift 2 ;;
    -w) [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || usage; WARMUP=$2; shift 2 ;;
    -r) [[ $# -ge 2 ]] && is_int "$2" || usage; REPEAT=$2; shift 2 ;;
    -u) [[ $# -ge 2 ]] && is_int "$2" || usage; USERS=$2; shift 2 ;;
    -m) [[ $# -ge 2 ]] && is_int "$2" || usage; MESSAGES=$2; shift 2 ;;
    --idle-ms) [[ $# -ge 2 ]] && is_int "$2" || usage; IDLE_MS=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//' >&2; usage ;;
    *) usage ;;
  esac
done
for c in $LEVELS; do is_int "$c" || usage; done
MBOX=$(cd "$ROOT/.." && pwd)/shared/conformance/mbox/dovecot-crlf-100
[[ -f $MBOX ]] || die "corpus missing: $MBOX"

# shellcheck source=bench/compare/imap-common.sh
. "$ROOT/bench/compare/imap-common.sh"

install_missing
[[ $(id -u) == 0 ]] || die "run as root: Dovecot's imap processes switch to the mail user's uid"
build_all
make_tmp
printf 'server\tclients\trepeat\tattempt\tops_per_s\tp99_ms\tserver_cpu_s\tclient_cpu_s\tops\terrors\tother_cores\tkept\n' >"$TMP/runs.tsv"
: >"$TMP/commands.tsv"
start_rookery
start_dovecot

say "populating: $USERS users x $MESSAGES messages on each server"
for s in rookery dovecot; do
  if [[ $s == rookery ]]; then port=$ROOKERY_PORT; else port=$DOVECOT_PORT; fi
  imap_load populate --port "$port" --users "$USERS" --messages "$MESSAGES" --mbox "$MBOX" --label "$s" ||
    die "populating $s failed"
done

FAILED=()
# run SERVER CLIENTS REPEAT ATTEMPT: one measured run; returns 3 when other load disturbed it.
# The servers' CPU and the machine's busy time are sampled when imap-load says its window starts and ends.
run() {
  local server=$1 c=$2 r=$3 a=$4 port cpu0=0 cpu1=0 b0=0 b1=0 t0 t1 k0=0 k1=0 secs out line rc=0 others kept=1 ops ops_s p99 errors
  if [[ $server == rookery ]]; then port=$ROOKERY_PORT; else port=$DOVECOT_PORT; fi
  wait_quiet
  out=$TMP/run-$server-c$c-r$r-a$a.tsv
  imap_load run --port "$port" --users "$USERS" --clients "$c" --seconds "$SECONDS_RUN" --warmup "$WARMUP" \
    --mbox "$MBOX" --idle-ms "$IDLE_MS" --label "$server" --output "$out" >"$TMP/client.out" 2>"$TMP/client.err" &
  CLIENT_PID=$!
  if line=$(wait_line "$TMP/client.out" '^WINDOW START' "$CLIENT_PID"); then
    cpu0=$(server_cpu "$server"); b0=$(busy_ticks); t0=$(now); k0=${line##* }
    if line=$(wait_line "$TMP/client.out" '^WINDOW END' "$CLIENT_PID"); then
      cpu1=$(server_cpu "$server"); b1=$(busy_ticks); t1=$(now); k1=${line##* }
    fi
  fi
  wait "$CLIENT_PID" || rc=$?
  CLIENT_PID=""
  sed 's/^/    /' "$TMP/client.err" >&2
  if [[ ! -s $out || -z ${t1:-} ]]; then
    FAILED+=("$server c=$c run $r: imap-load exit $rc, no results"); warn "${FAILED[-1]}"; return 0
  fi
  ops=$(awk -F'\t' '$5 == "all" { print $6 }' "$out")
  ops_s=$(awk -F'\t' '$5 == "all" { print $8 }' "$out")
  p99=$(awk -F'\t' '$5 == "all" { print $11 }' "$out")
  errors=$(awk -F'\t' '$5 == "all" { print $7 }' "$out")
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  # cores others kept busy on average: machine busy time minus the server's and the load generator's
  others=$(awk -v b="$(( b1 - b0 ))" -v h="$clk_tck" -v s0="$cpu0" -v s1="$cpu1" -v k0="$k0" -v k1="$k1" -v t="$secs" \
    'BEGIN { o = (b / h - (s1 - s0) - (k1 - k0)) / t; printf "%.2f", (o < 0 ? 0 : o) }')
  if awk -v o="$others" -v n="$NOISE_CORES" 'BEGIN { exit !(o >= n) }'; then kept=0; fi
  if (( rc != 0 || errors > 0 )); then
    FAILED+=("$server c=$c run $r: imap-load exit $rc, $errors command errors")
    warn "${FAILED[-1]}"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$c" "$r" "$a" "$ops_s" "$p99" \
    "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }')" "$(awk -v a="$k0" -v b="$k1" 'BEGIN { printf "%.2f", b - a }')" \
    "$ops" "$errors" "$others" "$kept" >>"$TMP/runs.tsv"
  LAST_OUT=$out
  printf '%-8s c=%-4s run %s: %8s ops/s  p99 %7s ms  (%s ops, %s errors; server %s CPU s, client %s CPU s; others: %s cores%s)\n' \
    "$server" "$c" "$r" "$ops_s" "$p99" "$ops" "$errors" "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.1f", b - a }')" \
    "$(awk -v a="$k0" -v b="$k1" 'BEGIN { printf "%.1f", b - a }')" "$others" "$( ((kept)) || echo ', disturbed: run again')" >&2
  (( kept )) || return 3
}
measure() {
  local server=$1 c=$2 r=$3 attempt
  for ((attempt = 1; attempt <= RETRIES + 1; attempt++)); do
    LAST_OUT=""
    if run "$server" "$c" "$r" "$attempt"; then
      [[ -z $LAST_OUT ]] || awk -F'\t' -v r="$r" 'NR > 1 { print $0 "\t" r "\t1" }' "$LAST_OUT" >>"$TMP/commands.tsv"
      return 0
    fi
  done
  warn "$server c=$c run $r: disturbed $((RETRIES + 1)) times; its last try counts only if no run at c=$c was undisturbed"
  sed -i '$ s/\t0$/\t2/' "$TMP/runs.tsv"
  [[ -z $LAST_OUT ]] || awk -F'\t' -v r="$r" 'NR > 1 { print $0 "\t" r "\t2" }' "$LAST_OUT" >>"$TMP/commands.tsv"
}

for c in $LEVELS; do
  for ((r = 1; r <= REPEAT; r++)); do
    # alternate which server goes first, so slow drift (page cache, disk) hits both alike
    if (( r % 2 )); then order="rookery dovecot"; else order="dovecot rookery"; fi
    for s in $order; do measure "$s" "$c" "$r"; done
  done
done

# ----------------------------------------------------------------- report ---
kept_level() {  # 1 when SERVER at CLIENTS has undisturbed runs, else 2 (the last tries of disturbed ones)
  awk -F'\t' -v s="$1" -v c="$2" 'NR > 1 && $1 == s && $2 == c && $12 == 1 { n++ } END { print n ? 1 : 2 }' "$TMP/runs.tsv"
}
median() {  # median of column $3 over the runs that count for SERVER at CLIENTS
  awk -F'\t' -v s="$1" -v c="$2" -v col="$3" -v k="$(kept_level "$1" "$2")" 'NR > 1 && $1 == s && $2 == c && $12 == k { print $col }' "$TMP/runs.tsv" |
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
cpu_per_op() {  # server CPU ms per measured operation over the runs that count
  awk -F'\t' -v s="$1" -v c="$2" -v k="$(kept_level "$1" "$2")" 'NR > 1 && $1 == s && $2 == c && $12 == k { cpu += $7; n += $9 }
    END { printf "%.2f", n ? 1000 * cpu / n : 0 }' "$TMP/runs.tsv"
}
spread() {
  awk -F'\t' -v s="$1" -v c="$2" -v k="$(kept_level "$1" "$2")" 'NR > 1 && $1 == s && $2 == c && $12 == k { n++; if (min == "" || $5 < min) min = $5; if ($5 > max) max = $5 }
    END { printf "%.0f-%.0f (%d%s)", min, max, n, (k == 2 ? ", disturbed" : "") }' "$TMP/runs.tsv"
}
cmd_median() {  # median of column $4 (8 ops/s, 11 p99) for command $3 over the runs that count
  awk -F'\t' -v s="$1" -v c="$2" -v op="$3" -v col="$4" -v k="$(kept_level "$1" "$2")" '$1 == s && $2 == c && $5 == op && $17 == k { print $col }' "$TMP/commands.tsv" |
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
{
  echo
  echo "IMAP client mix, $(date '+%Y-%m-%d %H:%M'), $(nproc) cores, $(. /etc/os-release && echo "$PRETTY_NAME"),"
  echo "Rookery $(git -C "$ROOT" rev-parse --short HEAD) on .NET $DOTNET_VERSION (SQLite WAL; content fsynced before OK, state changes within 200 ms); Dovecot $DOVECOT_VERSION (maildir, mail_fsync = always);"
  echo "$USERS users with $MESSAGES messages each (dovecot-crlf-100), client i as user i mod $USERS; ${SECONDS_RUN}s measured after ${WARMUP}s warm-up, median of $REPEAT runs;"
  echo "cycle: SELECT, FETCH 20 headers, FETCH 1 body, STORE, SEARCH, APPEND, STORE \\Deleted + UID EXPUNGE, IDLE ${IDLE_MS} ms"
  echo
  echo "| clients | Rookery ops/s | Dovecot ops/s | ratio R/D | Rookery p99 ms | Dovecot p99 ms | p99 ratio R/D | Rookery runs: min-max (n) | Dovecot runs: min-max (n) | Rookery CPU ms/op | Dovecot CPU ms/op |"
  echo "|--------:|--------------:|--------------:|----------:|---------------:|---------------:|--------------:|--------------------------:|--------------------------:|------------------:|------------------:|"
  for c in $LEVELS; do
    awk -v c="$c" -v rk="$(median rookery "$c" 5)" -v dv="$(median dovecot "$c" 5)" -v rp="$(median rookery "$c" 6)" -v dp="$(median dovecot "$c" 6)" \
        -v rs="$(spread rookery "$c")" -v ds="$(spread dovecot "$c")" -v rc="$(cpu_per_op rookery "$c")" -v dc="$(cpu_per_op dovecot "$c")" \
      'BEGIN { printf "| %7s | %13.0f | %13.0f | %9.2f | %14.2f | %14.2f | %13.2f | %25s | %25s | %17s | %17s |\n", c, rk, dv, (dv > 0 ? rk / dv : 0), rp, dp, (dp > 0 ? rp / dp : 0), rs, ds, rc, dc }'
  done
  echo
  echo "Per command (median of the runs that count): p50 / p99 latency in ms"
  echo
  printf '| command |'; for c in $LEVELS; do printf ' Rookery c=%s | Dovecot c=%s |' "$c" "$c"; done; echo
  printf '|---------|'; for c in $LEVELS; do printf -- '------------:|------------:|'; done; echo
  for op in Select FetchHeaders FetchBody Store Search Append Expunge Idle; do
    printf '| %s |' "$op"
    for c in $LEVELS; do
      for s in rookery dovecot; do printf ' %s / %s |' "$(cmd_median "$s" "$c" "$op" 9)" "$(cmd_median "$s" "$c" "$op" 11)"; done
    done
    echo
  done
  echo
  echo "ops/s: commands completed per second by all clients together (Expunge = STORE \\Deleted + UID EXPUNGE, counted once); p99 over every"
  echo "command of the run; CPU ms/op: the server's own user + system CPU in the measured window per operation (Dovecot: master,"
  echo "its processes and the ones it reaped); the load generator shares the $(nproc) cores (its CPU per run is in runs.tsv)."
} | tee "$RESULTS/summary.md"

report_end "runs had errors"
