# shellcheck shell=bash disable=SC2317
# bench/compare/common.sh — shell functions the comparison scripts share (sourced, never run):
# messages, stopping one PID, free loopback ports, installing Debian packages without starting
# their services, building a Release binary when its sources are newer, CPU time of processes and
# of the whole machine, and waiting for a quiet machine.
#
# A script that sources it keeps its own state (PIDs, temp dir) and its own cleanup trap; the
# functions here touch nothing but what they are given. apt_install sets POLICY_RC_CREATED while
# it runs: a cleanup trap should remove /usr/sbin/policy-rc.d when it is 1.

say()  { printf '==> %s\n' "$*" >&2; }
warn() { printf '!!! %s\n' "$*" >&2; }
die()  { warn "$*"; exit 1; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

stop_pid() {  # stop_pid NAME PID: TERM, wait up to 20 s, then KILL — that PID only
  local name=$1 pid=$2 i
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  say "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 40; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    warn "$name (pid $pid) did not stop in 20 s, killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

port_in_use() {
  [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]] && return 0
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}
pick_port() {  # a free loopback port at or above $1
  local p=$1 i
  for ((i = 0; i < 50; i++, p++)); do
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  return 1
}
now() { date +%s.%N; }

# apt_install PACKAGE...: apt-get install (root only), with a policy-rc.d that keeps the maintainer
# scripts from starting the packages' services (slapd, dovecot, postfix) and Postfix from being set
# up as the machine's MTA.
POLICY_RC_CREATED=0
apt_install() {
  local ok=0 attempt
  (($# > 0)) || return 0
  [[ $(id -u) == 0 ]] || die "missing $* and not root: cannot apt-get install"
  say "installing $*"
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    POLICY_RC_CREATED=1
  fi
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  export DEBIAN_FRONTEND=noninteractive
  for attempt in 1 2; do
    if apt-get -o DPkg::Lock::Timeout=300 update -q >/dev/null &&
       apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "$@" </dev/null; then ok=1; break; fi
    warn "apt-get failed (attempt $attempt)"
    sleep 5
  done
  if (( POLICY_RC_CREATED )); then rm -f /usr/sbin/policy-rc.d; POLICY_RC_CREATED=0; fi
  (( ok )) || die "apt-get install $* failed"
}

# rookery_database_config ENGINE DB_NAME: the server.cfg lines that point Rookery at its database; the servers'
# from the ROOKERY_TEST_* variables ./test.sh --with-servers exports.
rookery_database_config() {
  case $1 in
    sqlite) echo "database_engine = sqlite" ;;
    mysql) printf '%s\n' "database_engine = mysql" "mysql_host = $ROOKERY_TEST_MYSQL_HOST" "mysql_port = $ROOKERY_TEST_MYSQL_PORT" \
      "mysql_user = $ROOKERY_TEST_MYSQL_USER" "mysql_password = $ROOKERY_TEST_MYSQL_PASSWORD" "mysql_database = $2" ;;
    postgresql) printf '%s\n' "database_engine = postgresql" "postgresql_host = $ROOKERY_TEST_PG_HOST" "postgresql_port = $ROOKERY_TEST_PG_PORT" \
      "postgresql_user = $ROOKERY_TEST_PG_USER" "postgresql_password = $ROOKERY_TEST_PG_PASSWORD" "postgresql_database = $2" ;;
  esac
}

newer_sources() {  # prints a source file newer than $1 under the other arguments, if any
  local target=$1; shift
  find "$@" -newer "$target" \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.json' \) \
    -not -path '*/bin/*' -not -path '*/obj/*' -print -quit
}
# build_release NAME PROJECT OUTPUT SOURCE...: dotnet build -c Release unless OUTPUT is newer than every source.
build_release() {
  local name=$1 project=$2 output=$3; shift 3
  if [[ -f $output && -z $(newer_sources "$output" "$@") ]]; then
    say "reusing $output (newer than every source)"
  else
    say "building $name (Release)"
    dotnet build "$project" -c Release -nologo -v q -clp:ErrorsOnly >&2 || die "build of $name failed"
  fi
}

# ------------------------------------------------------------ CPU, noise ---
clk_tck=$(getconf CLK_TCK)
cpu_ticks() {  # sum of utime+stime (+ cutime+cstime with $2=1) of pid $1
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  stat=${stat##*) }   # fields after "(comm) "; field 3 is now the first
  awk -v all="${2:-0}" '{ print $12 + $13 + (all ? $14 + $15 : 0) }' <<<"$stat"
}
descendants() {  # every descendant of pid $1
  local p
  for p in $(pgrep -P "$1" || true); do echo "$p"; descendants "$p"; done
}
tree_cpu() {  # CPU seconds of pid $1, its live descendants and the children it reaped
  local total p
  [[ -n $1 ]] || { echo 0; return; }
  total=$(cpu_ticks "$1" 1)
  for p in $(descendants "$1"); do total=$(( total + $(cpu_ticks "$p") )); done
  awk -v t="$total" -v h="$clk_tck" 'BEGIN { printf "%.2f", t / h }'
}
busy_ticks() {  # CPU ticks the whole machine spent in processes (user, nice, system) or stolen, all cores
  # irq and softirq are left out: most of it is the benchmark's own loopback traffic.
  awk '/^cpu / { print $2 + $3 + $4 + $9; exit }' /proc/stat
}
# wait_quiet_except PID...: until processes other than the given ones (and what they reaped) use less
# than NOISE_CORES cores, at most QUIET_WAIT seconds (both set by the caller).
wait_quiet_except() {
  local waited=0 b0 b1 s0 s1 others p
  while :; do
    b0=$(busy_ticks); s0=0; for p in "$@"; do [[ -z $p ]] || s0=$(( s0 + $(cpu_ticks "$p" 1) )); done
    sleep 1
    b1=$(busy_ticks); s1=0; for p in "$@"; do [[ -z $p ]] || s1=$(( s1 + $(cpu_ticks "$p" 1) )); done
    others=$(awk -v b=$(( b1 - b0 - (s1 - s0) )) -v h="$clk_tck" 'BEGIN { printf "%.2f", b / h }')
    if awk -v o="$others" -v n="$NOISE_CORES" 'BEGIN { exit !(o < n) }'; then return 0; fi
    if (( waited == 0 )); then say "machine busy ($others cores used by others), waiting for it to calm down (up to ${QUIET_WAIT}s)"; fi
    waited=$(( waited + 3 ))
    if (( waited >= QUIET_WAIT )); then warn "still busy after ${QUIET_WAIT}s ($others cores), measuring anyway"; return 0; fi
    sleep 2
  done
}
# wait_line FILE PATTERN PID: until a line of FILE matches PATTERN (prints it) or PID is gone
wait_line() {
  local line
  while :; do
    line=$(grep -m 1 -E "$2" "$1" 2>/dev/null || true)
    [[ -n $line ]] && { echo "$line"; return 0; }
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.05
  done
}
# wait_imap NAME PORT PID: until PORT answers with an IMAP greeting (up to 2 minutes) or PID is gone
wait_imap() {
  local name=$1 port=$2 pid=$3 i line
  for ((i = 0; i < 240; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if line=$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && head -n 1 <&3 && printf 'a LOGOUT\r\n' >&3" 2>/dev/null) &&
       [[ $line == '* OK'* ]]; then
      say "$name is up on 127.0.0.1:$port: ${line%$'\r'}"
      return 0
    fi
    sleep 0.5
  done
  return 1
}
# dovecot_process_users: Dovecot's internal and login processes run as dovecot and dovenull, or as nobody
# when those users are not there; sets internal_user and login_user
dovecot_process_users() {
  internal_user=dovecot; id dovecot >/dev/null 2>&1 || internal_user=nobody
  login_user=dovenull; id dovenull >/dev/null 2>&1 || login_user=nobody
}
# report_end WHAT: the error lines in both servers' logs (Rookery's $TMP/rookery.log, Dovecot's $D/dovecot.log),
# then the entries of FAILED under "some WHAT" and exit 1 when there are any
report_end() {
  local errors derrors
  errors=$(grep -ciE '\b(fail|crit|error|exception)' "$TMP/rookery.log" || true)
  derrors=$(grep -ciE '(error|fatal|panic)' "${D:-/nonexistent}/dovecot.log" 2>/dev/null || true)
  echo
  echo "server logs: Rookery $errors error line(s), Dovecot $derrors error line(s); copies in $RESULTS"
  if ((${#FAILED[@]} > 0)); then
    warn "some $1:"
    printf '    %s\n' "${FAILED[@]}" >&2
    exit 1
  fi
}
median_of() {  # median of the numbers on stdin, one a line
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
