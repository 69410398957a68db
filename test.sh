#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions run from traps look unreachable to shellcheck
# test.sh — the one test command for Rookery (CI runs it through .ci/run).
#
#   ./test.sh [extra `dotnet test` args]   e.g.  ./test.sh --filter FullyQualifiedName~Quota
#   (xunit filters on FullyQualifiedName, DisplayName and traits; "Name~" matches nothing)
#
# What it does:
#   1. installs mariadb-server / postgresql, and the tools the tests run (swaks,
#      postfix, slapd, ldap-utils…), with apt when they are missing, starting no
#      system service and configuring no system directory;
#   2. starts PRIVATE MariaDB and PostgreSQL instances in a temp directory
#      (loopback only, non-default ports), creates the rookery_test login in
#      each, and exports ROOKERY_TEST_{MYSQL,PG}_{HOST,PORT,USER,PASSWORD};
#   3. builds Rookery.slnx once (Release; warnings are errors via the props);
#   4. runs `dotnet test --no-build` for every tests/*.Tests project with
#      ROOKERY_TEST_DB=sqlite, and for the projects in DB_MATRIX_PROJECTS also
#      with ROOKERY_TEST_DB=mysql and ROOKERY_TEST_DB=postgresql;
#   5. stops exactly the servers it started (also on failure / Ctrl-C) and
#      prints, as its very last line:   tests: N passed, N failed, N skipped
#
# Environment knobs:
#   TEST_ENGINES       engines to run (default "sqlite mysql postgresql"); a
#                      server is only installed/started when its engine runs
#   TEST_MYSQL_PORT    first port tried for the private MariaDB    (33306)
#   TEST_PG_PORT       first port tried for the private PostgreSQL (55432)
#   TEST_HANG_TIMEOUT  a test host idle this long is killed, counted failed (10m)
#   TEST_KEEP_TMP=1    keep the servers' temp directory (data + logs)
#   TEST_DURABLE=1     start the servers durable (the defaults: InnoDB flushes its log at
#                      every commit, PostgreSQL fsyncs) instead of fast for tests; benchmarks
#                      that compare with durable servers use it
#
# Results: .test-results/<run>/ (TRX + console log per run, build log, server
# logs); .test-results/latest points at the newest run.

set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD

# Projects that additionally run against MariaDB and PostgreSQL.
DB_MATRIX_PROJECTS="tests/Rookery.Store.Tests tests/Rookery.Dagent.Tests tests/Rookery.Imap.Tests tests/Rookery.Pop3.Tests tests/Rookery.Tests"

SOLUTION=Rookery.slnx
CONFIGURATION=Release
TEST_ENGINES=${TEST_ENGINES:-sqlite mysql postgresql}
TEST_MYSQL_PORT=${TEST_MYSQL_PORT:-33306}
TEST_PG_PORT=${TEST_PG_PORT:-55432}
TEST_HANG_TIMEOUT=${TEST_HANG_TIMEOUT:-10m}
TEST_KEEP_TMP=${TEST_KEEP_TMP:-0}
TEST_DURABLE=${TEST_DURABLE:-0}
DB_USER=rookery_test
DB_PASSWORD=rookery_test
# ./test.sh --with-servers CMD...  starts the private servers, exports their ROOKERY_TEST_*
# variables, runs CMD (benchmarks use this) and stops the servers again.
WITH_SERVERS=0
if [[ ${1:-} == --with-servers ]]; then
  WITH_SERVERS=1
  shift
  SERVERS_COMMAND=("$@")
  set --
fi
EXTRA_TEST_ARGS=("$@")

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# ----------------------------------------------------------------- state ---
SCRIPT_START=$(date +%s)
RESULTS=""             # this run's results directory
TMP=""                 # servers' temp directory (data, sockets, logs)
MY_PID=""              # mariadbd we started
MY_DIR=""
PG_DIR=""
PG_BIN=""
PG_STARTED=0           # 1 once we ran pg_ctl start on our data dir
POLICY_RC_CREATED=0    # 1 if we created /usr/sbin/policy-rc.d
EXTRA_FAILURES=()      # failures that are not in any TRX (build, server, crash)
RUNS=()                # "name|engine|trx|rc|seconds|log" per dotnet test run
PHASES=()              # "phase|seconds"
NEED_MYSQL=0
NEED_PG=0

say()  { printf '==> %s\n' "$*"; }
warn() { printf '!!! %s\n' "$*" >&2; }
add_failure() { EXTRA_FAILURES+=("$1"); warn "FAILURE: $1"; }

PHASE_NAME=""
PHASE_T0=0
phase_begin() { PHASE_NAME=$1; PHASE_T0=$(date +%s); say "[$(date +%H:%M:%S)] phase: $1"; }
phase_end() {
  local dt=$(( $(date +%s) - PHASE_T0 ))
  PHASES+=("$PHASE_NAME|$dt")
  say "phase '$PHASE_NAME' took ${dt}s"
  PHASE_NAME=""
}

# Prints the tail of a log file, indented, if it exists.
show_tail() {
  local f=$1 n=${2:-40}
  if [[ -s $f ]]; then
    printf -- '----- last %s lines of %s -----\n' "$n" "$f" >&2
    tail -n "$n" "$f" | sed 's/^/    /' >&2
    printf -- '-----\n' >&2
  fi
}

# True when something accepts TCP connections on 127.0.0.1:$1 (or listens on it).
port_in_use() {
  local p=$1
  if command -v ss >/dev/null 2>&1 && [[ -n $(ss -Hltn "sport = :$p" 2>/dev/null) ]]; then
    return 0
  fi
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null
}

# Prints the first free port >= $1 (tries 20).
pick_port() {
  local p=$1 i
  for ((i = 0; i < 20; i++, p++)); do
    if ! port_in_use "$p"; then echo "$p"; return 0; fi
    warn "port $p is taken, trying $((p + 1))" >&2
  done
  return 1
}

# ---------------------------------------------------------- TRX summing ---
# Prints "passed failed skipped" for one TRX file.
# xunit (via VSTest) reports skipped tests as outcome="NotExecuted": they are
# in Counters' total but not in executed, while Counters' notExecuted stays 0.
# So skipped = total - executed (or notExecuted, whichever is larger).
trx_counts() {
  local counters total executed passed failed error timeout aborted notexec skipped
  counters=$(tr -d '\r\n' <"$1" | grep -o '<Counters [^>]*>' | head -n 1 || true)
  attr() { local v; v=$(sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"); echo "${v:-0}"; }
  total=$(attr total); executed=$(attr executed); passed=$(attr passed)
  failed=$(attr failed); error=$(attr error); timeout=$(attr timeout); aborted=$(attr aborted)
  notexec=$(attr notExecuted)
  skipped=$(( total - executed ))
  (( notexec > skipped )) && skipped=$notexec
  (( skipped < 0 )) && skipped=0
  echo "$passed $(( failed + error + timeout + aborted )) $skipped"
}

# -------------------------------------------------------------- cleanup ---
stop_mariadb() {
  [[ -n $MY_PID ]] || return 0
  if kill -0 "$MY_PID" 2>/dev/null; then
    say "stopping private MariaDB (pid $MY_PID)"
    kill -TERM "$MY_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 60; i++)); do
      kill -0 "$MY_PID" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$MY_PID" 2>/dev/null; then
      warn "MariaDB did not stop in 30s, killing pid $MY_PID"
      kill -KILL "$MY_PID" 2>/dev/null || true
    fi
  fi
  wait "$MY_PID" 2>/dev/null || true
  MY_PID=""
}

as_postgres() { (cd "$PG_DIR" && runuser -u postgres -- "$@"); }

stop_postgresql() {
  (( PG_STARTED )) || return 0
  PG_STARTED=0
  [[ -f $PG_DIR/data/postmaster.pid ]] || return 0
  say "stopping private PostgreSQL ($PG_DIR/data)"
  if ! as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1; then
    warn "pg_ctl stop -m fast failed, trying -m immediate"
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  # Last resort: the postmaster PID from the pid file of OUR data directory.
  if [[ -f $PG_DIR/data/postmaster.pid ]]; then
    local pid
    pid=$(head -n 1 "$PG_DIR/data/postmaster.pid" 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
      warn "PostgreSQL still running, killing postmaster pid $pid"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
}

cleanup() {
  stop_mariadb
  stop_postgresql
  if (( POLICY_RC_CREATED )); then
    rm -f /usr/sbin/policy-rc.d
    POLICY_RC_CREATED=0
  fi
  if [[ -n $TMP && -d $TMP ]]; then
    if [[ -n $RESULTS && -d $RESULTS ]]; then
      mkdir -p "$RESULTS/servers"
      local f
      for f in "$TMP"/mariadb/*.log "$TMP"/postgresql/*.log; do
        [[ -f $f ]] && cp "$f" "$RESULTS/servers/$(basename "$(dirname "$f")")-$(basename "$f")"
      done
    fi
    if [[ $TEST_KEEP_TMP == 1 ]]; then
      say "keeping server temp dir $TMP (TEST_KEEP_TMP=1)"
    else
      rm -rf -- "$TMP"
    fi
    TMP=""
  fi
}

summarize() {
  local passed=0 failed=0 skipped=0 r name engine trx rc secs log p f s note msg
  local run_problems=()
  echo
  echo "================================ test summary ================================"
  for r in "${RUNS[@]+"${RUNS[@]}"}"; do
    IFS='|' read -r name engine trx rc secs log <<<"$r"
    p=0; f=0; s=0; note=""
    if [[ -f $trx ]]; then
      read -r p f s < <(trx_counts "$trx")
      if [[ $rc != 0 ]] && (( f == 0 )); then
        # dotnet test failed but no test failed: the test host crashed or hung.
        f=1
        note="test host crashed/aborted (exit $rc; see $log)"
        local culprit
        culprit=$(grep -A1 'The test running when the crash occurred' "$log" 2>/dev/null | tail -n 1 | tr -d '\r' || true)
        [[ -n $culprit && $culprit != *"crash occurred"* ]] && note+=" while running: $culprit"
      fi
    else
      f=1
      note="no TRX produced (exit $rc) — test run crashed? see $log"
    fi
    [[ -n $note ]] && run_problems+=("$name [$engine]: $note")
    passed=$(( passed + p )); failed=$(( failed + f )); skipped=$(( skipped + s ))
    printf '  %-28s %-11s %5s passed %4s failed %4s skipped %5ss  %s\n' \
      "$name" "$engine" "$p" "$f" "$s" "$secs" "$( (( f > 0 )) && echo FAIL || echo ok)"
  done
  ((${#RUNS[@]} == 0)) && echo "  (no test run happened)"
  # Each failure outside any TRX (build, servers, ...) counts as one failed.
  failed=$(( failed + ${#EXTRA_FAILURES[@]} ))
  if (( ${#EXTRA_FAILURES[@]} + ${#run_problems[@]} > 0 )); then
    echo "  problems:"
    for msg in "${EXTRA_FAILURES[@]+"${EXTRA_FAILURES[@]}"}" "${run_problems[@]+"${run_problems[@]}"}"; do
      echo "    - $msg"
    done
  fi
  echo "  phases:"
  for r in "${PHASES[@]+"${PHASES[@]}"}"; do
    printf '    %-40s %5ss\n' "${r%%|*}" "${r##*|}"
  done
  printf '    %-40s %5ss\n' "total" "$(( $(date +%s) - SCRIPT_START ))"
  [[ -n $RESULTS ]] && echo "  results: $RESULTS"
  echo "=============================================================================="
  SUMMARY_PASSED=$passed SUMMARY_FAILED=$failed SUMMARY_SKIPPED=$skipped
}

finish() {
  local rc=$?
  set +e
  trap - EXIT
  trap '' INT TERM     # let the servers be stopped even on a second Ctrl-C
  [[ -n $PHASE_NAME ]] && phase_end
  if (( rc == 130 || rc == 143 )); then
    EXTRA_FAILURES+=("interrupted")
  elif (( rc != 0 )) && ((${#EXTRA_FAILURES[@]} == 0)); then
    EXTRA_FAILURES+=("test.sh aborted unexpectedly (exit $rc)")
  fi
  cleanup
  SUMMARY_PASSED=0 SUMMARY_FAILED=0 SUMMARY_SKIPPED=0
  summarize
  (( rc == 0 && SUMMARY_FAILED > 0 )) && rc=1
  (( rc != 0 && SUMMARY_FAILED == 0 )) && SUMMARY_FAILED=1
  echo "tests: $SUMMARY_PASSED passed, $SUMMARY_FAILED failed, $SUMMARY_SKIPPED skipped"
  exit "$rc"
}
trap finish EXIT
trap 'warn "interrupted"; exit 130' INT
trap 'warn "terminated"; exit 143' TERM

# ------------------------------------------------------------ preflight ---
for e in $TEST_ENGINES; do
  case $e in
    sqlite) ;;
    mysql) [[ -n $DB_MATRIX_PROJECTS || $WITH_SERVERS == 1 ]] && NEED_MYSQL=1 ;;
    postgresql) [[ -n $DB_MATRIX_PROJECTS || $WITH_SERVERS == 1 ]] && NEED_PG=1 ;;
    *) add_failure "unknown engine '$e' in TEST_ENGINES (known: sqlite mysql postgresql)"; exit 2 ;;
  esac
done
engine_wanted() { [[ " $TEST_ENGINES " == *" $1 "* ]]; }

if ! command -v dotnet >/dev/null 2>&1; then
  add_failure "dotnet is not on PATH (the .NET 10 SDK is required)"
  exit 1
fi

RESULTS="$ROOT/.test-results/$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$RESULTS"
ln -sfn "$(basename "$RESULTS")" "$ROOT/.test-results/latest"
# Keep only the 10 newest result directories.
{ ls -1d "$ROOT"/.test-results/[0-9]*-[0-9]* 2>/dev/null || true; } | sort -r | tail -n +11 |
  while IFS= read -r old; do rm -rf -- "$old"; done
say "results directory: $RESULTS"
say "engines: $TEST_ENGINES; DB matrix projects: ${DB_MATRIX_PROJECTS:-none}"

# -------------------------------------------------------------- install ---
find_mariadbd() {
  local c
  for c in "$(command -v mariadbd 2>/dev/null || true)" /usr/sbin/mariadbd /usr/sbin/mysqld; do
    [[ -n $c && -x $c ]] && { echo "$c"; return 0; }
  done
  return 1
}
find_pg_bin() {
  local d
  d=$(ls -1d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | while IFS= read -r x; do
        [[ -x $x/postgres && -x $x/initdb && -x $x/pg_ctl ]] && echo "$x"; done | tail -n 1)
  [[ -n $d ]] && echo "$d"
}

missing=()
(( NEED_MYSQL )) && ! { find_mariadbd >/dev/null && command -v mariadb-install-db >/dev/null && command -v mariadb >/dev/null; } && missing+=(mariadb-server)
(( NEED_PG )) && ! find_pg_bin >/dev/null && missing+=(postgresql)
# Tools the tests call: openssl (shadow hashes for the unix plugin tests), curl.
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
command -v swaks >/dev/null || missing+=(swaks)   # LMTP scenarios of the dagent tests
command -v fetchmail >/dev/null || missing+=(fetchmail)   # POP3 and POP3S downloads of the gateway tests
command -v mbsync >/dev/null || missing+=(isync)   # two-way IMAP sync of the gateway tests
# PostfixDeliveryTests run a private Postfix instance (own config and queue in a temp dir).
[[ -x /usr/sbin/postfix ]] || missing+=(postfix)
# deploy/postfix's LDAP query files are checked with Postfix's own LDAP client (postmap -q).
[[ -f /usr/lib/postfix/postfix-ldap.so ]] || missing+=(postfix-ldap)
# The LDAP plugin tests run throwaway slapd instances (own cn=config in a temp dir, /etc/ldap/schema only read).
[[ -x /usr/sbin/slapd && -x /usr/sbin/slapadd ]] || missing+=(slapd)
command -v ldapdelete >/dev/null || missing+=(ldap-utils)
if ((${#missing[@]} > 0)); then
  phase_begin "apt install ${missing[*]}"
  if [[ $(id -u) != 0 ]]; then
    add_failure "${missing[*]} missing and not root: cannot apt-get install"
    exit 1
  fi
  # Keep Debian's maintainer scripts from starting the system services.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    POLICY_RC_CREATED=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # No system mail configuration: the package then sets up no MTA that could ever start.
  if [[ " ${missing[*]} " == *" postfix "* ]]; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  fi
  # No system directory either: slapd's package then creates no database and starts nothing.
  if [[ " ${missing[*]} " == *" slapd "* ]]; then
    echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
  fi
  ok=0
  for attempt in 1 2; do
    if apt-get update -q && apt-get install -y -q "${missing[@]}" </dev/null; then ok=1; break; fi
    warn "apt-get failed (attempt $attempt)"
    sleep 5
  done
  if (( POLICY_RC_CREATED )); then rm -f /usr/sbin/policy-rc.d; POLICY_RC_CREATED=0; fi
  if (( ! ok )); then
    add_failure "apt-get install ${missing[*]} failed"
    exit 1
  fi
  phase_end
fi

if (( NEED_MYSQL || NEED_PG )); then
  TMP=$(mktemp -d /tmp/rookery-test-XXXXXX)
  chmod 755 "$TMP"     # the mysql and postgres users must reach their subdirs
fi

# ------------------------------------------------------------- MariaDB ---
start_mariadb() {
  local mariadbd run_user port attempt i
  mariadbd=$(find_mariadbd)
  MY_DIR=$TMP/mariadb
  mkdir -p "$MY_DIR/data" "$MY_DIR/run" "$MY_DIR/tmp"
  if id mysql >/dev/null 2>&1; then run_user=mysql; chown -R mysql:mysql "$MY_DIR"; else run_user=root; fi

  if ! mariadb-install-db --no-defaults --datadir="$MY_DIR/data" --user="$run_user" \
        --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
        >"$MY_DIR/install-db.log" 2>&1; then
    show_tail "$MY_DIR/install-db.log"
    add_failure "MariaDB: mariadb-install-db failed (log: $RESULTS/servers/mariadb-install-db.log)"
    return 1
  fi

  # Tests do not need commits to survive a power cut; TEST_DURABLE=1 keeps the defaults.
  local speed=(--innodb-flush-log-at-trx-commit=2 --innodb-doublewrite=0)
  [[ $TEST_DURABLE == 1 ]] && speed=()
  port=$TEST_MYSQL_PORT
  for attempt in 1 2 3; do
    if ! port=$(pick_port "$port"); then
      add_failure "MariaDB: no free port from $TEST_MYSQL_PORT on"
      return 1
    fi
    say "starting private MariaDB on 127.0.0.1:$port (data: $MY_DIR)"
    "$mariadbd" --no-defaults --user="$run_user" \
      --datadir="$MY_DIR/data" --tmpdir="$MY_DIR/tmp" \
      --socket="$MY_DIR/run/mysqld.sock" --pid-file="$MY_DIR/run/mysqld.pid" \
      --port="$port" --bind-address=127.0.0.1 --skip-name-resolve \
      --log-error="$MY_DIR/mariadbd.log" \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
      --max-connections=500 --innodb-buffer-pool-size=256M \
      "${speed[@]+"${speed[@]}"}" \
      </dev/null >>"$MY_DIR/mariadbd.out.log" 2>&1 &
    MY_PID=$!
    for ((i = 0; i < 120; i++)); do
      if ! kill -0 "$MY_PID" 2>/dev/null; then break; fi
      if mariadb-admin --no-defaults --protocol=socket --socket="$MY_DIR/run/mysqld.sock" \
           -uroot --connect-timeout=2 ping >/dev/null 2>&1; then
        break
      fi
      sleep 0.5
    done
    if kill -0 "$MY_PID" 2>/dev/null && mariadb-admin --no-defaults --protocol=socket \
         --socket="$MY_DIR/run/mysqld.sock" -uroot ping >/dev/null 2>&1; then
      break
    fi
    if ! kill -0 "$MY_PID" 2>/dev/null && grep -qi 'address already in use' "$MY_DIR/mariadbd.log" 2>/dev/null; then
      wait "$MY_PID" 2>/dev/null || true
      MY_PID=""
      warn "MariaDB: port $port got taken meanwhile, retrying"
      port=$((port + 1))
      continue
    fi
    show_tail "$MY_DIR/mariadbd.log"
    show_tail "$MY_DIR/mariadbd.out.log" 20
    stop_mariadb
    add_failure "MariaDB did not start on 127.0.0.1:$port within 60s (log: $RESULTS/servers/mariadb-mariadbd.log)"
    return 1
  done
  if [[ -z $MY_PID ]]; then
    add_failure "MariaDB: could not bind a port (last tried $port)"
    return 1
  fi

  if ! mariadb --no-defaults --protocol=socket --socket="$MY_DIR/run/mysqld.sock" -uroot \
       >"$MY_DIR/setup.log" 2>&1 <<SQL
CREATE USER '$DB_USER'@'%' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'localhost' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
  then
    show_tail "$MY_DIR/setup.log"
    add_failure "MariaDB: creating user $DB_USER failed"
    return 1
  fi
  # Check the login the tests will use: TCP, user + password.
  local version
  if ! version=$(mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$port" -u"$DB_USER" \
        -p"$DB_PASSWORD" --connect-timeout=5 -NBe 'SELECT VERSION()' 2>>"$MY_DIR/setup.log"); then
    show_tail "$MY_DIR/setup.log"
    add_failure "MariaDB: $DB_USER cannot log in over TCP on 127.0.0.1:$port"
    return 1
  fi
  say "MariaDB $version is up on 127.0.0.1:$port (pid $MY_PID)"
  export ROOKERY_TEST_MYSQL_HOST=127.0.0.1 ROOKERY_TEST_MYSQL_PORT=$port
  export ROOKERY_TEST_MYSQL_USER=$DB_USER ROOKERY_TEST_MYSQL_PASSWORD=$DB_PASSWORD
}

# ---------------------------------------------------------- PostgreSQL ---
start_postgresql() {
  local port attempt
  PG_BIN=$(find_pg_bin)
  PG_DIR=$TMP/postgresql
  install -d -o postgres -g postgres -m 700 "$PG_DIR" "$PG_DIR/data" "$PG_DIR/sock"

  if ! as_postgres "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth-local=peer --auth-host=scram-sha-256 --no-sync >"$PG_DIR/initdb.log" 2>&1; then
    show_tail "$PG_DIR/initdb.log"
    add_failure "PostgreSQL: initdb failed (log: $RESULTS/servers/postgresql-initdb.log)"
    return 1
  fi

  local speed="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [[ $TEST_DURABLE == 1 ]] && speed=""
  port=$TEST_PG_PORT
  for attempt in 1 2 3; do
    if ! port=$(pick_port "$port"); then
      add_failure "PostgreSQL: no free port from $TEST_PG_PORT on"
      return 1
    fi
    say "starting private PostgreSQL ($(basename "$(dirname "$PG_BIN")")) on 127.0.0.1:$port (data: $PG_DIR)"
    PG_STARTED=1
    if as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgresql.log" -w -t 60 \
         -o "-p $port -k '$PG_DIR/sock' -c listen_addresses=127.0.0.1 -c max_connections=300 $speed" \
         start >"$PG_DIR/pg_ctl.log" 2>&1; then
      break
    fi
    if grep -qi 'address already in use' "$PG_DIR/postgresql.log" 2>/dev/null && \
       ! [[ -f $PG_DIR/data/postmaster.pid ]]; then
      warn "PostgreSQL: port $port got taken meanwhile, retrying"
      : >"$PG_DIR/postgresql.log"
      port=$((port + 1))
      continue
    fi
    show_tail "$PG_DIR/postgresql.log"
    show_tail "$PG_DIR/pg_ctl.log" 20
    stop_postgresql
    add_failure "PostgreSQL did not start on 127.0.0.1:$port (log: $RESULTS/servers/postgresql-postgresql.log)"
    return 1
  done
  if [[ ! -f $PG_DIR/data/postmaster.pid ]]; then
    add_failure "PostgreSQL: could not bind a port (last tried $port)"
    return 1
  fi

  if ! as_postgres "$PG_BIN/psql" -h "$PG_DIR/sock" -p "$port" -U postgres -d postgres \
        -v ON_ERROR_STOP=1 -qAt \
        -c "CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD'" >"$PG_DIR/setup.log" 2>&1; then
    show_tail "$PG_DIR/setup.log"
    add_failure "PostgreSQL: creating role $DB_USER failed"
    return 1
  fi
  local version
  if ! version=$(PGPASSWORD=$DB_PASSWORD PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -h 127.0.0.1 -p "$port" \
        -U "$DB_USER" -d postgres -w -qAt -c 'SHOW server_version' 2>>"$PG_DIR/setup.log"); then
    show_tail "$PG_DIR/setup.log"
    add_failure "PostgreSQL: $DB_USER cannot log in with a password on 127.0.0.1:$port"
    return 1
  fi
  say "PostgreSQL $version is up on 127.0.0.1:$port"
  export ROOKERY_TEST_PG_HOST=127.0.0.1 ROOKERY_TEST_PG_PORT=$port
  export ROOKERY_TEST_PG_USER=$DB_USER ROOKERY_TEST_PG_PASSWORD=$DB_PASSWORD
}

MYSQL_OK=0
PG_OK=0
if (( NEED_MYSQL )); then
  phase_begin "start MariaDB"
  start_mariadb && MYSQL_OK=1
  phase_end
fi
if (( NEED_PG )); then
  phase_begin "start PostgreSQL"
  start_postgresql && PG_OK=1
  phase_end
fi

if (( WITH_SERVERS )); then
  phase_begin "run ${SERVERS_COMMAND[*]}"
  servers_rc=0
  "${SERVERS_COMMAND[@]}" || servers_rc=$?
  phase_end
  (( servers_rc == 0 )) || add_failure "${SERVERS_COMMAND[*]} exited $servers_rc"
  exit "$servers_rc"
fi

# ---------------------------------------------------------------- build ---
phase_begin "build ($SOLUTION, $CONFIGURATION)"
build_args=(build "$SOLUTION" -c "$CONFIGURATION" -nologo)
# On CI, leave no MSBuild / compiler server processes behind.
[[ -n ${CI:-} ]] && build_args+=(--disable-build-servers)
say "dotnet ${build_args[*]}"
build_rc=0
dotnet "${build_args[@]}" 2>&1 | tee "$RESULTS/build.log" || build_rc=${PIPESTATUS[0]}
phase_end
if (( build_rc != 0 )); then
  add_failure "build failed (dotnet build exit $build_rc; log: $RESULTS/build.log)"
  exit 1
fi

# ---------------------------------------------------------------- tests ---
# name.csproj inside the directory, else the only *.csproj there.
project_file() {
  local dir=$1 f
  f="$dir/$(basename "$dir").csproj"
  if [[ -f $f ]]; then echo "$f"; return 0; fi
  f=$(ls -1 "$dir"/*.csproj 2>/dev/null | head -n 1)
  [[ -n $f ]] && echo "$f"
}

run_tests() {
  local dir=$1 engine=$2 name csproj trx log t0 rc=0
  name=$(basename "$dir")
  trx="$RESULTS/$name.$engine.trx"
  log="$RESULTS/$name.$engine.log"
  if ! csproj=$(project_file "$dir"); then
    add_failure "$name [$engine]: no .csproj in $dir"
    return 0
  fi
  if ! grep -qF "${csproj#./}" "$SOLUTION"; then
    warn "$csproj is not listed in $SOLUTION, so it was not built"
  fi
  phase_begin "test $name [$engine]"
  t0=$(date +%s)
  ROOKERY_TEST_DB=$engine dotnet test "$csproj" --no-build -c "$CONFIGURATION" \
    --results-directory "$RESULTS" \
    --logger "trx;LogFileName=$(basename "$trx")" \
    --logger "console;verbosity=normal" \
    --blame-hang-timeout "$TEST_HANG_TIMEOUT" --blame-hang-dump-type none \
    "${EXTRA_TEST_ARGS[@]+"${EXTRA_TEST_ARGS[@]}"}" </dev/null 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
  RUNS+=("$name|$engine|$trx|$rc|$(( $(date +%s) - t0 ))|$log")
  phase_end
}

TEST_DIRS=()
for d in tests/*.Tests/; do [[ -d $d ]] && TEST_DIRS+=("${d%/}"); done
if ((${#TEST_DIRS[@]} == 0)); then
  warn "no test projects found under tests/"
fi

for dir in "${TEST_DIRS[@]+"${TEST_DIRS[@]}"}"; do
  engine_wanted sqlite && run_tests "$dir" sqlite
done
for m in $DB_MATRIX_PROJECTS; do
  m=${m%/}
  if [[ ! -d $m ]]; then
    add_failure "DB_MATRIX_PROJECTS entry '$m' does not exist"
    continue
  fi
  if engine_wanted mysql; then
    if (( MYSQL_OK )); then run_tests "$m" mysql
    else warn "skipping $(basename "$m") [mysql]: MariaDB is not running"; fi
  fi
  if engine_wanted postgresql; then
    if (( PG_OK )); then run_tests "$m" postgresql
    else warn "skipping $(basename "$m") [postgresql]: PostgreSQL is not running"; fi
  fi
done

exit 0   # the EXIT trap stops the servers and prints the summary line
