#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions run from traps look unreachable to shellcheck
# bench/compare/idle-memory.sh — memory of many idle IMAP sessions: Rookery against Dovecot, same machine, same run.
#
#   bench/compare/idle-memory.sh [-n CONNECTIONS] [-u USERS] [-m MESSAGES] [--settle SECONDS]
#                                [--no-hibernate] [--only rookery|dovecot] [--no-build] [--keep]
#
#   -n CONNECTIONS  IMAP sessions held open in IDLE at once (default 10000)
#   -u USERS        users bench0..; connection i logs in as bench(i mod USERS) (default 100)
#   -m MESSAGES     messages in each INBOX, from ../shared/conformance/mbox/dovecot-crlf-100 (default 20)
#   --settle S      seconds to wait once every session idles, before reading memory (default 15; Dovecot
#                   hibernates an idle session after imap_hibernate_timeout = 5s)
#   --no-hibernate  Dovecot without imap-hibernate: one imap process per session (needs ~2-3 MB each)
#   --only S        measure one server only
#
# The client (bench/compare/imap-load in its "idle" mode) uses raw sockets: each connection LOGINs,
# SELECTs INBOX and sends IDLE; when all are idling the script reads each server's memory, then closes
# them. Source addresses 127.0.0.1.. are spread over when one address has too few ephemeral ports.
# Memory: Rookery's one process; Dovecot's master and every process under it (imap, imap-login,
# imap-hibernate, auth, anvil, log, config, ...). RSS counts pages shared between Dovecot's processes once
# per process; PSS shares them out, so the Dovecot PSS sum is its real footprint.
#
# Limits raised for the test: Rookery's imap_max_connections_per_user/_per_address = 0 (no limit);
# Dovecot's mail_max_userip_connections, default_process_limit, default_client_limit, imap-login in
# high-performance mode (service_count = 0, client_limit 1000), imap-hibernate's client_limit;
# ulimit -n for both servers and the client as high as the hard limit allows.
#
# Results go to .bench-results/idle-memory-<date>/.

set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BENCH=idle-memory

usage() {
  echo "usage: bench/compare/idle-memory.sh [-n CONNECTIONS] [-u USERS] [-m MESSAGES] [--settle SECONDS] [--no-hibernate] [--only rookery|dovecot] [--no-build] [--keep]" >&2
  exit 2
}
CONNECTIONS=10000; USERS=100; MESSAGES=20; SETTLE=15; HIBERNATE=1; ONLY=""; BUILD=1; KEEP=0
is_int() { [[ $1 =~ ^[0-9]+$ ]] && (( $1 > 0 )); }
while (($# > 0)); do
  case $1 in
    -n) [[ $# -ge 2 ]] && is_int "$2" || usage; CONNECTIONS=$2; shift 2 ;;
    -u) [[ $# -ge 2 ]] && is_int "$2" || usage; USERS=$2; shift 2 ;;
    -m) [[ $# -ge 2 ]] && is_int "$2" || usage; MESSAGES=$2; shift 2 ;;
    --settle) [[ $# -ge 2 ]] && is_int "$2" || usage; SETTLE=$2; shift 2 ;;
    --no-hibernate) HIBERNATE=0; shift ;;
    --only) [[ $# -ge 2 && $2 =~ ^(rookery|dovecot)$ ]] || usage; ONLY=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//' >&2; usage ;;
    *) usage ;;
  esac
done
MBOX=$(cd "$ROOT/.." && pwd)/shared/conformance/mbox/dovecot-crlf-100
[[ -f $MBOX ]] || die "corpus missing: $MBOX"

# shellcheck source=bench/compare/imap-common.sh
. "$ROOT/bench/compare/imap-common.sh"

NOFILE=$(( CONNECTIONS * 2 + 1000 ))
internal_user=dovecot; id dovecot >/dev/null 2>&1 || internal_user=nobody
DOVECOT_LOGIN_EXTRA="  # high-performance mode: long-lived login processes, each for many pre-login connections
  service_count = 0
  client_limit = 1000
  process_min_avail = $(nproc)
  process_limit = $(( CONNECTIONS / 1000 + 10 ))"
DOVECOT_EXTRA="service imap {
  process_limit = $(( CONNECTIONS + 100 ))
  unix_listener imap-master {
    user = $internal_user
  }
}"
if (( HIBERNATE )); then
  DOVECOT_EXTRA+="
# idle sessions move from their imap process into one imap-hibernate process
imap_hibernate_timeout = 5s
service imap-hibernate {
  client_limit = $(( CONNECTIONS + 100 ))
  process_limit = 1
  unix_listener imap-hibernate {
    mode = 0666
  }
}"
fi

install_missing
[[ $(id -u) == 0 ]] || die "run as root: Dovecot's imap processes switch to the mail user's uid"
build_all
make_tmp
ulimit -n "$(fd_limit)"
(( $(ulimit -n) >= CONNECTIONS + 100 )) || die "ulimit -n is $(ulimit -n) (hard limit $(ulimit -Hn)): too low for $CONNECTIONS connections"
start_rookery
if [[ $ONLY != rookery ]]; then
  # Every Dovecot imap process runs as the one mail uid and IDLE watches the mailbox with an inotify
  # instance or two, which imap-hibernate takes over. Past fs.inotify.max_user_instances (128 on
  # Debian) Dovecot logs "Inotify instance limit ... exceeded", falls back to polling, and the sessions
  # stay in their imap processes instead of hibernating.
  raise_sysctl fs/inotify/max_user_instances $(( CONNECTIONS * 3 + 1000 )) ||
    warn "Dovecot's sessions will not all hibernate (inotify instance limit)"
  raise_sysctl fs/inotify/max_user_watches $(( CONNECTIONS * 8 + 200000 )) || true
fi
start_dovecot

# Ephemeral ports per source address (to one server port); spread over 127.0.0.x when they run short.
read -r plo phi </proc/sys/net/ipv4/ip_local_port_range
SOURCES=$(( CONNECTIONS / ((phi - plo) * 8 / 10) + 1 ))

say "populating: $USERS users x $MESSAGES messages on each server"
for s in rookery dovecot; do
  [[ -z $ONLY || $ONLY == "$s" ]] || continue
  if [[ $s == rookery ]]; then port=$ROOKERY_PORT; else port=$DOVECOT_PORT; fi
  imap_load populate --port "$port" --users "$USERS" --messages "$MESSAGES" --mbox "$MBOX" --label "$s" ||
    die "populating $s failed"
done

kb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
# mem SERVER: "RSS_KB PSS_KB PROCESSES" of the server (Dovecot: master + descendants)
mem() {
  local pids p rss=0 pss=0 n=0 r q
  if [[ $1 == rookery ]]; then pids=$ROOKERY_PID; else pids="$DOVECOT_PID $(descendants "$DOVECOT_PID")"; fi
  for p in $pids; do
    r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
    q=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || true)
    [[ -n $r ]] || continue
    rss=$(( rss + r )); pss=$(( pss + ${q:-0} )); n=$(( n + 1 ))
  done
  echo "$rss $pss $n"
}
declare -A BASE LOADED HELD OPEN_SECONDS
for s in rookery dovecot; do
  [[ -z $ONLY || $ONLY == "$s" ]] || continue
  if [[ $s == rookery ]]; then port=$ROOKERY_PORT; else port=$DOVECOT_PORT; fi
  sleep 5
  BASE[$s]=$(mem "$s")
  say "$s before: RSS/PSS/processes ${BASE[$s]} (KB)"
  rm -f "$TMP/hold.ctl"; mkfifo "$TMP/hold.ctl"
  imap_load idle --port "$port" --users "$USERS" --connections "$CONNECTIONS" --sources "$SOURCES" --label "$s" \
    <"$TMP/hold.ctl" >"$TMP/hold-$s.out" 2>"$TMP/hold-$s.err" &
  CLIENT_PID=$!
  exec 9>"$TMP/hold.ctl"   # the holder keeps its connections until this closes
  while ! grep -q '^READY' "$TMP/hold-$s.out" 2>/dev/null; do
    kill -0 "$CLIENT_PID" 2>/dev/null || break
    sleep 1
  done
  sed 's/^/    /' "$TMP/hold-$s.err" >&2
  read -r _ ok failed secs < <(grep '^READY' "$TMP/hold-$s.out" || echo "READY 0 $CONNECTIONS 0")
  HELD[$s]=$ok; OPEN_SECONDS[$s]=$secs
  say "$s: $ok sessions idling ($failed failed) after ${secs}s; settling ${SETTLE}s"
  sleep "$SETTLE"
  LOADED[$s]=$(mem "$s")
  say "$s with $ok idle sessions: RSS/PSS/processes ${LOADED[$s]} (KB)"
  exec 9>&-
  wait "$CLIENT_PID" || true
  CLIENT_PID=""
done

{
  echo
  echo "Idle IMAP sessions, $(date '+%Y-%m-%d %H:%M'), $(nproc) cores, $(. /etc/os-release && echo "$PRETTY_NAME"),"
  echo "Rookery $(git -C "$ROOT" rev-parse --short HEAD) on .NET $DOTNET_VERSION (SQLite); Dovecot $DOVECOT_VERSION (maildir, $( ((HIBERNATE)) && echo 'imap_hibernate_timeout = 5s' || echo 'no hibernation'));"
  echo "$CONNECTIONS connections (LOGIN, SELECT INBOX, IDLE) over $USERS users with $MESSAGES messages each, from $SOURCES source address(es); read ${SETTLE}s after the last one idled"
  echo
  echo "| server | sessions idling | RSS before MB | RSS with sessions MB | PSS with sessions MB | processes | KB per session (RSS growth) | seconds to open all |"
  echo "|--------|----------------:|--------------:|---------------------:|---------------------:|----------:|----------------------------:|--------------------:|"
  for s in rookery dovecot; do
    [[ -n ${LOADED[$s]:-} ]] || continue
    read -r br _ _ <<<"${BASE[$s]}"; read -r lr lp ln <<<"${LOADED[$s]}"
    awk -v s="$s" -v h="${HELD[$s]}" -v br="$br" -v lr="$lr" -v lp="$lp" -v ln="$ln" -v t="${OPEN_SECONDS[$s]}" \
      'BEGIN { printf "| %s | %d | %.0f | %.0f | %.0f | %d | %.1f | %s |\n", s, h, br / 1024, lr / 1024, lp / 1024, ln, (h > 0 ? (lr - br) / h : 0), t }'
  done
  echo
  echo "RSS of Dovecot sums every process's resident pages (shared libraries once per process); PSS splits shared pages among them."
  echo "Target (issue 4): Rookery under 300 MB with 10,000 idle sessions."
} | tee "$RESULTS/summary.md"
for s in rookery dovecot; do
  [[ -z ${HELD[$s]:-} || ${HELD[$s]} == "$CONNECTIONS" ]] || { warn "$s: only ${HELD[$s]} of $CONNECTIONS sessions reached IDLE"; exit 1; }
done
