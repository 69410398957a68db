#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions run from traps look unreachable to shellcheck
# bench/compare/lmtp.sh — LMTP delivery throughput: Rookery against Dovecot, same machine, same run.
#
#   bench/compare/lmtp.sh [-n N | -n C=N]... [-s SIZE] [-c "1 10 50"] [-r REPEAT]
#                         [--engine sqlite|mysql|postgresql] [--warmup N] [--reconnect] [--no-build] [--keep]
#
#   -n N          messages per run at every concurrency; -n C=N sets it for concurrency C only
#                 (default 2000 each: ~10 s for the slower server on a 2-core VM)
#   -s SIZE       message payload in bytes (smtp-source -l), same for both servers (default 4096)
#   -c LIST       concurrency levels, i.e. parallel LMTP sessions (default "1 10 50")
#   -r REPEAT     runs per server and level; the table shows the median (default 3)
#   --engine E    Rookery's database: sqlite (default, embedded) or mysql / postgresql. For the
#                 server engines it runs itself under `./test.sh --with-servers` (private,
#                 durable MariaDB / PostgreSQL) unless ROOKERY_TEST_{MYSQL,PG}_* are already set.
#   --warmup N    messages delivered to each server before measuring (JIT, process spawn; 500)
#   --reconnect   a new LMTP connection per message (default: sessions are kept open and reused,
#                 as Postfix's LMTP client does with its connection cache)
#   --no-build    use src/Rookery/bin/Release as it is
#   --keep        keep the temp directory (configs, mail, logs) instead of deleting it
#
# What it does: installs postfix (for smtp-source; "No configuration", no MTA is set up or
# started), dovecot-core, dovecot-lmtpd and sqlite3 when missing; builds Rookery (Release) when
# its binary is older than the sources; starts Rookery (`rookery serve`, its own config and data
# directories) and Dovecot (`dovecot -F -c` with a config written here: LMTP only, loopback,
# maildir, mail_fsync = always) on free loopback ports; delivers the same messages to both with
# `smtp-source -L`, one fresh recipient per run, at each concurrency; checks that every message
# was stored (rows in Rookery's database, files in Dovecot's maildir); prints a markdown table;
# stops exactly the two servers it started. Neither /etc/dovecot nor any system service is used.
#
# Durability is on for both: Rookery fsyncs the content and commits (SQLite synchronous = FULL)
# before each 250; Dovecot runs with mail_fsync = always.
#
# On a shared machine: before each run it waits (up to LMTP_BENCH_QUIET_WAIT s, 300) until other
# processes use less than LMTP_BENCH_NOISE_CORES cores (0.2), and a run during which they used
# more is done again with a fresh recipient (up to LMTP_BENCH_RETRIES times, 3); the table
# counts only undisturbed runs. The table also gives each server's own CPU time per message.
#
# Results (table, per-run numbers, server logs) are copied to .bench-results/lmtp-<date>/.

set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
# shellcheck source=bench/compare/common.sh
. "$ROOT/bench/compare/common.sh"

usage() {
  echo "usage: bench/compare/lmtp.sh [-n N | -n C=N]... [-s SIZE] [-c \"1 10 50\"] [-r REPEAT] [--engine sqlite|mysql|postgresql] [--warmup N] [--reconnect] [--no-build] [--keep]" >&2
  exit 2
}

# ------------------------------------------------------------ arguments ---
ORIGINAL_ARGS=("$@")
SIZE=4096
LEVELS="1 10 50"
REPEAT=3
ENGINE=sqlite
WARMUP=500
RECONNECT=0
BUILD=1
KEEP=0
declare -A COUNT=([1]=2000 [10]=2000 [50]=2000)
COUNT_ALL=""
is_int() { [[ $1 =~ ^[0-9]+$ ]] && (( $1 > 0 )); }
while (($# > 0)); do
  case $1 in
    -n)
      [[ $# -ge 2 ]] || usage
      if [[ $2 =~ ^([0-9]+)=([0-9]+)$ ]]; then
        is_int "${BASH_REMATCH[1]}" && is_int "${BASH_REMATCH[2]}" || usage
        COUNT[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
      else
        is_int "$2" || usage
        COUNT_ALL=$2
      fi
      shift 2 ;;
    -s) [[ $# -ge 2 ]] && is_int "$2" || usage; SIZE=$2; shift 2 ;;
    -c) [[ $# -ge 2 ]] || usage; LEVELS=$2; shift 2 ;;
    -r) [[ $# -ge 2 ]] && is_int "$2" || usage; REPEAT=$2; shift 2 ;;
    --engine) [[ $# -ge 2 ]] || usage; ENGINE=$2; shift 2 ;;
    --engine=*) ENGINE=${1#--engine=}; shift ;;
    --warmup) [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || usage; WARMUP=$2; shift 2 ;;
    --reconnect) RECONNECT=1; shift ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//' >&2; usage ;;
    *) usage ;;
  esac
done
case $ENGINE in sqlite|mysql|postgresql) ;; *) usage ;; esac
for c in $LEVELS; do
  is_int "$c" || usage
  [[ -n $COUNT_ALL ]] && COUNT[$c]=$COUNT_ALL
  [[ -n ${COUNT[$c]:-} ]] || COUNT[$c]=2000
done

# The server engines need a database server: run under test.sh, which starts private MariaDB /
# PostgreSQL instances (durable: TEST_DURABLE=1), exports ROOKERY_TEST_*, runs this, stops them.
if [[ $ENGINE == mysql && -z ${ROOKERY_TEST_MYSQL_HOST:-} ]] ||
   [[ $ENGINE == postgresql && -z ${ROOKERY_TEST_PG_HOST:-} ]]; then
  [[ -z ${LMTP_BENCH_UNDER_TEST_SH:-} ]] || die "test.sh did not export the ROOKERY_TEST_* variables for $ENGINE"
  say "engine $ENGINE: running under ./test.sh --with-servers (private, durable database server)"
  export LMTP_BENCH_UNDER_TEST_SH=1
  TEST_ENGINES=$ENGINE TEST_DURABLE=1 exec ./test.sh --with-servers "$ROOT/bench/compare/lmtp.sh" "${ORIGINAL_ARGS[@]}"
fi

# ---------------------------------------------------------------- state ---
TMP=""               # everything of this run: configs, data, mail, logs
ROOKERY_PID=""       # the `rookery serve` we started
DOVECOT_PID=""       # the `dovecot -F` master we started
DOVECOT_CONF=""
DB_CREATED=""        # server database we created for Rookery, dropped at the end
RESULTS=""

cleanup() {
  local rc=$?
  set +e
  trap - EXIT
  trap '' INT TERM
  if [[ -n $DOVECOT_PID ]] && kill -0 "$DOVECOT_PID" 2>/dev/null; then
    # doveadm stop signals the master of this config's base_dir, i.e. the one we started.
    doveadm -c "$DOVECOT_CONF" stop >/dev/null 2>&1 || true
    stop_pid dovecot "$DOVECOT_PID"
  fi
  DOVECOT_PID=""
  stop_pid rookery "$ROOKERY_PID"
  ROOKERY_PID=""
  if [[ -n $DB_CREATED ]]; then drop_database || true; fi
  if (( POLICY_RC_CREATED )); then rm -f /usr/sbin/policy-rc.d; fi
  if [[ -n $TMP && -d $TMP ]]; then
    if [[ -n $RESULTS && -d $RESULTS ]]; then
      cp "$TMP"/rookery.log "$TMP"/dovecot/dovecot.log "$TMP"/runs.tsv "$RESULTS"/ 2>/dev/null
    fi
    if (( KEEP )); then say "kept $TMP"; else rm -rf -- "$TMP"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'warn interrupted; exit 130' INT
trap 'warn terminated; exit 143' TERM

# ---------------------------------------------------------------- install ---
missing=()
[[ -x /usr/sbin/smtp-source ]] || missing+=(postfix)
command -v dovecot >/dev/null && command -v doveadm >/dev/null || missing+=(dovecot-core)
[[ -x /usr/lib/dovecot/lmtp ]] || missing+=(dovecot-lmtpd)
command -v ss >/dev/null || missing+=(iproute2)
[[ $ENGINE != sqlite ]] || command -v sqlite3 >/dev/null || missing+=(sqlite3)
[[ $ENGINE != mysql ]] || command -v mariadb >/dev/null || missing+=(mariadb-client)
[[ $ENGINE != postgresql ]] || command -v psql >/dev/null || missing+=(postgresql-client)
apt_install "${missing[@]}"
[[ $(id -u) == 0 ]] || die "run as root: Dovecot's LMTP switches to the mail user's uid"
DOVECOT_VERSION=$(dovecot --version | awk '{print $1}')
POSTFIX_VERSION=$(dpkg-query -W -f '${Version}' postfix 2>/dev/null || echo '?')

# ------------------------------------------------------------------ build ---
DLL=src/Rookery/bin/Release/net10.0/rookery.dll
if (( BUILD )); then
  if [[ -f $DLL ]] && [[ -z $(find src Directory.Build.props Directory.Packages.props global.json \
        -newer "$DLL" \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.json' \) \
        -not -path '*/bin/*' -not -path '*/obj/*' -print -quit) ]]; then
    say "reusing $DLL (newer than every source)"
  else
    say "building Rookery (Release)"
    dotnet build src/Rookery/Rookery.csproj -c Release -nologo -v q -clp:ErrorsOnly >&2 || die "build failed"
  fi
fi
[[ -f $DLL ]] || die "$DLL is missing (build it, or drop --no-build)"
DOTNET_VERSION=$(dotnet --list-runtimes | awk '/Microsoft.NETCore.App 10\./ {v=$2} END {print v}')
DLL=$ROOT/$DLL

# ------------------------------------------------------------- temp dirs ---
TMP=$(mktemp -d /tmp/rookery-lmtp-bench-XXXXXX)
chmod 755 "$TMP"    # Dovecot's mail processes (nobody) must reach $TMP/dovecot/mail
# A private copy of smtp-source and its two Postfix libraries (found through LD_LIBRARY_PATH
# before the binary's RUNPATH), so the run does not depend on the postfix package staying
# installed on a shared machine while it lasts.
mkdir -p "$TMP/bin"
cp /usr/sbin/smtp-source /usr/lib/postfix/libpostfix-global.so /usr/lib/postfix/libpostfix-util.so "$TMP/bin/" ||
  die "cannot copy smtp-source and its libraries from the postfix package"
smtp_source() { LD_LIBRARY_PATH=$TMP/bin "$TMP/bin/smtp-source" "$@"; }
RESULTS=$ROOT/.bench-results/lmtp-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RESULTS"
printf 'server\tconcurrency\trepeat\trecipient\tmessages\tdelivered\tseconds\tmsg_per_s\tcpu_s\tother_cores\tkept\n' >"$TMP"/runs.tsv

# ----------------------------------------------------------------- Rookery ---
R=$TMP/rookery
mkdir -p "$R/etc" "$R/data"
rookery() { dotnet "$DLL" "$@" --config-dir "$R/etc" --data-dir "$R/data"; }

DB_NAME=rookery_lmtp_bench_$$
sql_mysql() {
  MYSQL_PWD=$ROOKERY_TEST_MYSQL_PASSWORD mariadb --no-defaults --protocol=tcp -h "$ROOKERY_TEST_MYSQL_HOST" \
    -P "$ROOKERY_TEST_MYSQL_PORT" -u "$ROOKERY_TEST_MYSQL_USER" -NB "$@"
}
sql_pg() {
  PGPASSWORD=$ROOKERY_TEST_PG_PASSWORD psql -h "$ROOKERY_TEST_PG_HOST" -p "$ROOKERY_TEST_PG_PORT" \
    -U "$ROOKERY_TEST_PG_USER" -w -qAt -v ON_ERROR_STOP=1 "$@"
}
# Messages stored in Rookery (rows in items), read from its database.
rookery_items() {
  case $ENGINE in
    sqlite) sqlite3 -readonly "$R/data/rookery.db" 'PRAGMA busy_timeout = 10000; SELECT count(*) FROM items;' | tail -n 1 ;;
    mysql) sql_mysql -D "$DB_NAME" -e 'SELECT count(*) FROM items' ;;
    postgresql) sql_pg -d "$DB_NAME" -c 'SELECT count(*) FROM items' ;;
  esac
}
drop_database() {
  case $ENGINE in
    mysql) sql_mysql -e "DROP DATABASE IF EXISTS \`$DB_NAME\`" ;;
    postgresql) sql_pg -d postgres -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" ;;
  esac
}

DURABILITY="Rookery: content fsynced + commit before 250"
{
  echo "# written by bench/compare/lmtp.sh"
  echo "log_level = 2"
  echo "server_listen ="     # no HTTP listener: nothing else to bind
  echo "password_hash_iterations = 10000"   # only makes adding the bench users quicker
  rookery_database_config "$ENGINE" "$DB_NAME"
} >"$R/etc/server.cfg"
case $ENGINE in
  sqlite) DURABILITY+=" (SQLite WAL, synchronous = FULL)" ;;
  mysql)
    DB_CREATED=1
    flush=$(sql_mysql -e 'SELECT @@innodb_flush_log_at_trx_commit')
    DURABILITY+=" (MariaDB $(sql_mysql -e 'SELECT VERSION()'), innodb_flush_log_at_trx_commit = $flush)"
    [[ $flush == 1 ]] || warn "MariaDB runs with innodb_flush_log_at_trx_commit = $flush: commits are NOT durable (run without ROOKERY_TEST_MYSQL_* set, or with TEST_DURABLE=1)" ;;
  postgresql)
    DB_CREATED=1
    fsync=$(sql_pg -d postgres -c 'SHOW fsync'); sync_commit=$(sql_pg -d postgres -c 'SHOW synchronous_commit')
    DURABILITY+=" (PostgreSQL $(sql_pg -d postgres -c 'SHOW server_version' | awk '{print $1}'), fsync = $fsync, synchronous_commit = $sync_commit)"
    [[ $fsync == on && $sync_commit == on ]] || warn "PostgreSQL runs with fsync = $fsync, synchronous_commit = $sync_commit: commits are NOT durable (run without ROOKERY_TEST_PG_* set, or with TEST_DURABLE=1)" ;;
esac
ROOKERY_PORT=$(pick_port $((24000 + RANDOM % 2000))) || die "no free port for Rookery"
printf '# written by bench/compare/lmtp.sh\nlmtp_listen = 127.0.0.1:%s\nlog_level = 2\n' "$ROOKERY_PORT" >"$R/etc/dagent.cfg"

# Every run delivers to a recipient of its own, created on both servers just before the run,
# so every run starts from an empty mailbox. `rookery admin` works while the server runs.
add_rookery_user() {
  rookery admin user add "$1" --password pw --email "$1@example.com" >>"$TMP/rookery-admin.log" 2>&1 ||
    { tail -n 20 "$TMP/rookery-admin.log" >&2; die "rookery admin user add $1 failed"; }
}
add_rookery_user bench0   # the warm-up's recipient; also creates the database

# Waits until $2:$3 answers with a 220 banner (LMTP greeting); $4 is the server's PID.
wait_banner() {
  local name=$1 port=$2 pid=$3 i line
  for ((i = 0; i < 120; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if line=$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && head -n 1 <&3 && printf 'QUIT\r\n' >&3" 2>/dev/null) &&
       [[ $line == 220* ]]; then
      say "$name is up on 127.0.0.1:$port: ${line%$'\r'}"
      return 0
    fi
    sleep 0.5
  done
  return 1
}

say "starting Rookery on 127.0.0.1:$ROOKERY_PORT"
# Started from its configuration directory: `serve` watches its working directory recursively
# (ASP.NET Core's content root), which should be neither the repository nor above the data.
(cd "$R/etc" && exec dotnet "$DLL" serve --config-dir "$R/etc" --data-dir "$R/data") </dev/null >"$TMP/rookery.log" 2>&1 &
ROOKERY_PID=$!
wait_banner Rookery "$ROOKERY_PORT" "$ROOKERY_PID" || { tail -n 30 "$TMP/rookery.log" >&2; die "Rookery did not start"; }

# ----------------------------------------------------------------- Dovecot ---
D=$TMP/dovecot
MAIL_UID=$(id -u nobody) MAIL_GID=$(getent group nogroup | cut -d: -f3)
[[ -n $MAIL_UID && -n $MAIL_GID ]] || die "need the user nobody and the group nogroup for Dovecot's mail processes"
mkdir -p "$D/run" "$D/mail" "$D/tmp"
chown "$MAIL_UID:$MAIL_GID" "$D/mail" "$D/tmp"
add_dovecot_user() {  # passwd-file userdb: Dovecot notices the file changed and reads it again
  echo "$1@example.com::$MAIL_UID:$MAIL_GID::$D/mail/$1@example.com::" >>"$D/users"
}
: >"$D/users"
add_dovecot_user bench0
DOVECOT_PORT=$(pick_port $((ROOKERY_PORT + 1))) || die "no free port for Dovecot"
DOVECOT_CONF=$D/dovecot.conf
dovecot_process_users
cat >"$DOVECOT_CONF" <<EOF
# written by bench/compare/lmtp.sh — a private Dovecot: LMTP only, loopback, temp dir
instance_name = rookery-lmtp-bench
base_dir = $D/run
state_dir = $D/run
log_path = $D/dovecot.log
info_log_path = $D/dovecot.log
debug_log_path = $D/dovecot.log
protocols = lmtp
listen = 127.0.0.1
ssl = no
default_internal_user = $internal_user
default_login_user = $login_user
first_valid_uid = $MAIL_UID
first_valid_gid = $MAIL_GID
mail_location = maildir:$D/mail/%u
mail_temp_dir = $D/tmp
# durability on: fsync every saved message (and index/uidlist) before the reply
mail_fsync = always
lmtp_save_to_detail_mailbox = no
lmtp_rcpt_check_quota = no
lmtp_user_concurrency_limit = 0
mail_plugins =
passdb {
  driver = passwd-file
  args = $D/users
}
userdb {
  driver = passwd-file
  args = $D/users
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $DOVECOT_PORT
  }
  unix_listener lmtp {
    mode = 0600
  }
}
EOF
doveconf -c "$DOVECOT_CONF" -n >"$D/doveconf-n.txt" 2>"$D/doveconf.err" ||
  { cat "$D/doveconf.err" >&2; die "Dovecot does not accept the generated $DOVECOT_CONF"; }
say "starting Dovecot $DOVECOT_VERSION on 127.0.0.1:$DOVECOT_PORT"
dovecot -F -c "$DOVECOT_CONF" </dev/null >"$D/dovecot.out" 2>&1 &
DOVECOT_PID=$!
wait_banner Dovecot "$DOVECOT_PORT" "$DOVECOT_PID" ||
  { tail -n 30 "$D/dovecot.log" "$D/dovecot.out" >&2; die "Dovecot did not start"; }

dovecot_messages() {  # messages in $1's maildir (INBOX: new/ and cur/)
  local dir=$D/mail/$1@example.com
  { find "$dir/new" "$dir/cur" -type f 2>/dev/null || true; } | wc -l
}

# CPU seconds (user + system) a server used so far: Rookery's one process; Dovecot's master,
# its live children (lmtp, auth, ...) and the children it already reaped.
# With a server engine the database server works for Rookery: its CPU time (the process that
# listens on the database port, its children and reaped children) is counted as Rookery's.
DB_PID=""
if [[ $ENGINE != sqlite ]]; then
  if [[ $ENGINE == mysql ]]; then db_port=$ROOKERY_TEST_MYSQL_PORT; else db_port=$ROOKERY_TEST_PG_PORT; fi
  DB_PID=$(ss -Hltnp "sport = :$db_port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2 || true)
  [[ -n $DB_PID ]] || warn "no process found listening on the database port $db_port: its CPU time is not counted"
fi
server_cpu() {
  local total=0 p
  if [[ $1 == rookery ]]; then
    total=$(cpu_ticks "$ROOKERY_PID")
    if [[ -n $DB_PID ]]; then
      total=$(( total + $(cpu_ticks "$DB_PID" 1) ))
      for p in $(pgrep -P "$DB_PID" || true); do total=$(( total + $(cpu_ticks "$p") )); done
    fi
  else
    total=$(cpu_ticks "$DOVECOT_PID" 1)
    for p in $(pgrep -P "$DOVECOT_PID" || true); do total=$(( total + $(cpu_ticks "$p") )); done
  fi
  awk -v t="$total" -v h="$clk_tck" 'BEGIN { printf "%.2f", t / h }'
}

# ---------------------------------------------------------------- the runs ---
SMTP_SOURCE_ARGS=(-L -l "$SIZE" -f sender@example.net -M client.example.net -S "rookery lmtp bench")
(( RECONNECT )) || SMTP_SOURCE_ARGS+=(-d)
NCPU=$(nproc)

# The machine may be shared (someone building): CPU time that neither server nor smtp-source
# used during a run is "other" load. Before each run wait (up to QUIET_WAIT seconds) until the
# machine is quiet; a run during which others used more than NOISE_CORES is done again (up to
# RETRIES times) with a fresh recipient, and the table only counts the kept runs.
QUIET_WAIT=${LMTP_BENCH_QUIET_WAIT:-300}
NOISE_CORES=${LMTP_BENCH_NOISE_CORES:-0.2}
RETRIES=${LMTP_BENCH_RETRIES:-3}
children_cpu() {  # sets CHILDREN_CPU: CPU seconds of this shell's waited-for children so far (smtp-source)
  times >"$TMP/times"      # in this shell, not a subshell: line 2 is "0m1.234s 0m0.567s"
  CHILDREN_CPU=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } } END { printf "%.2f", s }' "$TMP/times")
}
wait_quiet() { wait_quiet_except "$ROOKERY_PID"; }

# run SERVER CONCURRENCY REPEAT USER N: delivers N messages to USER (already created on SERVER),
# records the run in runs.tsv; returns 3 when other load disturbed it.
FAILED=()
run() {
  local server=$1 c=$2 r=$3 user=$4 n=$5 port before after t0 t1 cpu0 cpu1 b0 b1 k0 k1 secs rate delivered others rc=0 kept=1
  if [[ $server == rookery ]]; then port=$ROOKERY_PORT; before=$(rookery_items); else port=$DOVECOT_PORT; before=$(dovecot_messages "$user"); fi
  (( r == 0 )) || wait_quiet
  cpu0=$(server_cpu "$server"); children_cpu; k0=$CHILDREN_CPU; b0=$(busy_ticks)
  t0=$(now)
  smtp_source "${SMTP_SOURCE_ARGS[@]}" -s "$c" -m "$n" -t "$user@example.com" "127.0.0.1:$port" \
    >"$TMP/smtp-source.out" 2>&1 || rc=$?
  t1=$(now)
  b1=$(busy_ticks); children_cpu; k1=$CHILDREN_CPU; cpu1=$(server_cpu "$server")
  if [[ $server == rookery ]]; then after=$(rookery_items); else after=$(dovecot_messages "$user"); fi
  delivered=$(( after - before ))
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  rate=$(awk -v n="$delivered" -v s="$secs" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }')
  # cores others kept busy on average: machine busy time minus the server's and smtp-source's
  others=$(awk -v b="$(( b1 - b0 ))" -v h="$clk_tck" -v s0="$cpu0" -v s1="$cpu1" -v k0="$k0" -v k1="$k1" -v t="$secs" \
    'BEGIN { o = (b / h - (s1 - s0) - (k1 - k0)) / t; printf "%.2f", (o < 0 ? 0 : o) }')
  if (( r > 0 )) && awk -v o="$others" -v n="$NOISE_CORES" 'BEGIN { exit !(o >= n) }'; then kept=0; fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$c" "$r" "$user" "$n" "$delivered" "$secs" "$rate" \
    "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }')" "$others" "$kept" >>"$TMP/runs.tsv"
  if (( rc != 0 || delivered != n )) || grep -qiE 'error|fatal|warning' "$TMP/smtp-source.out"; then
    FAILED+=("$server c=$c run $r ($user): smtp-source exit $rc, $delivered of $n stored")
    warn "${FAILED[-1]}"
    sed 's/^/    /' "$TMP/smtp-source.out" | head -n 10 >&2
  fi
  printf '%-8s c=%-3s run %s: %6s of %6s stored in %8ss = %8s msg/s  (others: %s cores%s)\n' "$server" "$c" "$r" "$delivered" "$n" "$secs" "$rate" \
    "$others" "$( ((kept)) || echo ', disturbed: run again')" >&2
  (( kept )) || return 3
}

# measure SERVER CONCURRENCY REPEAT: one kept run with a fresh recipient (retries when disturbed)
measure() {
  local server=$1 c=$2 r=$3 attempt user
  for ((attempt = 1; attempt <= RETRIES + 1; attempt++)); do
    user=bench-c$c-r$r-$server-$attempt
    if [[ $server == rookery ]]; then add_rookery_user "$user"; else add_dovecot_user "$user"; fi
    run "$server" "$c" "$r" "$user" "${COUNT[$c]}" && return 0
  done
  warn "$server c=$c run $r: disturbed $((RETRIES + 1)) times; its last try counts only if no run at c=$c was undisturbed"
  sed -i '$ s/\t0$/\t2/' "$TMP/runs.tsv"
}

if (( WARMUP > 0 )); then
  say "warm-up: $WARMUP messages to each (not measured)"
  run rookery 10 0 bench0 "$WARMUP"
  run dovecot 10 0 bench0 "$WARMUP"
fi
for c in $LEVELS; do
  for ((r = 1; r <= REPEAT; r++)); do
    # alternate which server goes first, so slow drift (page cache, disk) hits both alike
    if (( r % 2 )); then order="rookery dovecot"; else order="dovecot rookery"; fi
    for s in $order; do measure "$s" "$c" "$r"; done
  done
done

# ----------------------------------------------------------------- report ---
# Which runs count for SERVER at CONCURRENCY: the undisturbed ones (kept = 1), or when there is
# none, the last tries of runs that stayed disturbed (kept = 2).
kept_level() {
  awk -F'\t' -v s="$1" -v c="$2" 'NR > 1 && $1 == s && $2 == c && $3 > 0 && $11 == 1 { n++ } END { print n ? 1 : 2 }' "$TMP/runs.tsv"
}
median() {  # median of the measured (repeat >= 1) msg/s or cpu of SERVER at CONCURRENCY; $3 = column
  awk -F'\t' -v s="$1" -v c="$2" -v col="$3" -v k="$(kept_level "$1" "$2")" 'NR > 1 && $1 == s && $2 == c && $3 > 0 && $11 == k { print $col }' "$TMP/runs.tsv" |
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
cpu_per_msg() {  # CPU ms per message over all measured runs of SERVER at CONCURRENCY
  awk -F'\t' -v s="$1" -v c="$2" -v k="$(kept_level "$1" "$2")" 'NR > 1 && $1 == s && $2 == c && $3 > 0 && $11 == k { cpu += $9; n += $6 }
    END { printf "%.2f", n ? 1000 * cpu / n : 0 }' "$TMP/runs.tsv"
}
spread() {  # min-max msg/s of the runs that count, and how many
  awk -F'\t' -v s="$1" -v c="$2" -v k="$(kept_level "$1" "$2")" 'NR > 1 && $1 == s && $2 == c && $3 > 0 && $11 == k { n++; if (min == "" || $8 < min) min = $8; if ($8 > max) max = $8 }
    END { printf "%.0f-%.0f (%d%s)", min, max, n, (k == 2 ? ", disturbed" : "") }' "$TMP/runs.tsv"
}
{
  echo
  echo "LMTP delivery, $(date '+%Y-%m-%d %H:%M'), $(nproc) cores, $(. /etc/os-release && echo "$PRETTY_NAME"),"
  echo "Rookery $(git -C "$ROOT" rev-parse --short HEAD) on .NET $DOTNET_VERSION, engine $ENGINE; Dovecot $DOVECOT_VERSION (maildir, mail_fsync = always);"
  echo "smtp-source (Postfix $POSTFIX_VERSION) -L -l $SIZE $( ((RECONNECT)) && echo '(new connection per message)' || echo '-d (connections reused)'),"
  echo "one fresh recipient per run, median of $REPEAT runs; messages per run: $(for c in $LEVELS; do printf 'c%s=%s ' "$c" "${COUNT[$c]}"; done)"
  echo "$DURABILITY"
  echo
  echo "| concurrency | Rookery msg/s | Dovecot msg/s | ratio Rookery/Dovecot | Rookery runs: min-max (n) | Dovecot runs: min-max (n) | Rookery CPU ms/msg | Dovecot CPU ms/msg |"
  echo "|------------:|--------------:|--------------:|----------------------:|--------------------------:|--------------------------:|-------------------:|-------------------:|"
  for c in $LEVELS; do
    rk=$(median rookery "$c" 8); dv=$(median dovecot "$c" 8)
    awk -v c="$c" -v rk="$rk" -v dv="$dv" -v rs="$(spread rookery "$c")" -v ds="$(spread dovecot "$c")" \
        -v rc="$(cpu_per_msg rookery "$c")" -v dc="$(cpu_per_msg dovecot "$c")" \
      'BEGIN { printf "| %11s | %13.0f | %13.0f | %21.2f | %25s | %25s | %18s | %18s |\n", c, rk, dv, (dv > 0 ? rk / dv : 0), rs, ds, rc, dc }'
  done
  echo
  echo "CPU ms/msg: the server's own user + system CPU time per stored message$([[ $ENGINE == sqlite ]] || echo ", for Rookery including the database server's"); the machine has $(nproc) cores; smtp-source not counted."
} | tee "$RESULTS/summary.md"

report_end "runs did not store every message (their rate counts only what was stored)"
