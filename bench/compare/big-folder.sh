#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions run from traps look unreachable to shellcheck
# bench/compare/big-folder.sh — one big INBOX on Rookery and on Dovecot, same machine, one run: how long
# SELECT, UID FETCH 1:* (FLAGS), SEARCH FROM / SUBJECT / BODY and an ENVELOPE + BODYSTRUCTURE fetch of the
# last 50 messages take, and the ratio.
#
#   bench/compare/big-folder.sh [-n "30000 100000"] [-r REPEAT] [--no-build] [--keep]
#
#   -n SIZES     messages in the folder, one user per size (default "30000 100000")
#   -r REPEAT    times each command is timed; the table shows the median (default 7)
#
# The messages are small and made up (bench/compare/big-folder.py: ~700 octets, 100 senders, 97 subjects,
# a body word per 100 messages), so each search finds 1 in 100. Rookery gets them over IMAP (APPEND, as a
# migration would); Dovecot's maildir is written directly (APPENDing 100,000 messages to Dovecot with
# mail_fsync = always takes half an hour) and indexed by one SELECT before anything is timed. The servers
# are the ones bench/compare/imap-common.sh starts (Rookery on SQLite, Dovecot maildir). Results go to
# .bench-results/big-folder-<date>/.

set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BENCH=big-folder

usage() {
  echo "usage: bench/compare/big-folder.sh [-n \"30000 100000\"] [-r REPEAT] [--no-build] [--keep]" >&2
  exit 2
}
SIZES="30000 100000"; REPEAT=7; BUILD=1; KEEP=0
while (($# > 0)); do
  case $1 in
    -n) [[ $# -ge 2 ]] || usage; SIZES=$2; shift 2 ;;
    -r) [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || usage; REPEAT=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//' >&2; usage ;;
    *) usage ;;
  esac
done
for n in $SIZES; do [[ $n =~ ^[0-9]+$ ]] && (( n >= 50 )) || usage; done
read -ra SIZE_LIST <<<"$SIZES"
USERS=${#SIZE_LIST[@]} NEED_LOAD=0
# shellcheck source=bench/compare/imap-common.sh
. "$ROOT/bench/compare/imap-common.sh"
PY=$ROOT/bench/compare/big-folder.py

install_missing
[[ $(id -u) == 0 ]] || die "run as root: Dovecot's imap processes switch to the mail user's uid"
build_all
make_tmp
start_rookery
start_dovecot
mail_uid=$(id -u nobody) mail_gid=$(getent group nogroup | cut -d: -f3)

: >"$TMP/times.tsv"
for k in "${!SIZE_LIST[@]}"; do
  n=${SIZE_LIST[$k]} user=bench$k
  say "generating $n messages"
  python3 "$PY" generate "$n" "$TMP/messages-$n"
  say "Rookery: APPENDing $n messages to $user"
  t0=$(now)
  python3 "$PY" append "$ROOKERY_PORT" "$user" pw "$TMP/messages-$n" "$n"
  say "  took $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }') s"
  say "Dovecot: writing $n messages to $user's maildir"
  maildir=$D/mail/$user
  mkdir -p "$maildir/cur" "$maildir/new" "$maildir/tmp"
  for ((i = 1; i <= n; i++)); do
    printf -v name '1772442000.M%07dP1.bench:2,' "$i"
    ln "$TMP/messages-$n/$i" "$maildir/cur/$name" 2>/dev/null || cp "$TMP/messages-$n/$i" "$maildir/cur/$name"
  done
  chown -R "$mail_uid:$mail_gid" "$maildir"
  for s in rookery dovecot; do
    if [[ $s == rookery ]]; then port=$ROOKERY_PORT; else port=$DOVECOT_PORT; fi
    wait_quiet
    python3 "$PY" time "$s-$n" "$port" "$user" pw "$n" "$REPEAT" | tee -a "$TMP/times.tsv" >&2
  done
done

{
  echo
  echo "Big folders, $(date '+%Y-%m-%d %H:%M'), $(nproc) cores, Rookery $(git -C "$ROOT" rev-parse --short HEAD) (SQLite), Dovecot $DOVECOT_VERSION (maildir);"
  echo "median of $REPEAT, ms, measured by the client on loopback"
  echo
  echo "| messages | command | Rookery ms | Dovecot ms | Rookery / Dovecot | hits R / D |"
  echo "|--:|---|--:|--:|--:|--:|"
  for n in "${SIZE_LIST[@]}"; do
    awk -F'\t' -v n="$n" '$1 == "rookery-" n { r[$2] = $3; rh[$2] = $5; order[++k] = $2 } $1 == "dovecot-" n { d[$2] = $3; dh[$2] = $5 }
      END { for (i = 1; i <= k; i++) { c = order[i]; printf "| %s | %s | %.2f | %.2f | %.2f | %s / %s |\n", n, c, r[c], d[c], (d[c] > 0 ? r[c] / d[c] : 0), rh[c], dh[c] } }' "$TMP/times.tsv"
  done
} | tee "$RESULTS/summary.md"
cp "$TMP/times.tsv" "$RESULTS/"
FAILED=()
report_end "runs failed"
