# shellcheck shell=bash disable=SC2317
# bench/compare/imap-common.sh — sourced by imap-load.sh and idle-memory.sh: installs what is missing,
# builds Rookery and bench/compare/imap-load, starts Rookery (IMAP only) and a private Dovecot (IMAP,
# maildir, mail_fsync = always) from configs written to a temp dir, and stops exactly what it started.
#
# The caller sets BENCH (name), BUILD, KEEP, USERS, and may set ROOKERY_GATEWAY_EXTRA / DOVECOT_EXTRA /
# DOVECOT_LOGIN_EXTRA (lines added to gateway.cfg / dovecot.conf / its service imap-login block) and NOFILE (ulimit -n for the servers and the client).
# Users are $USER_PREFIX$FIRST_USER .. (default bench0 ..), password $PASSWORD (default pw). ROOKERY_HASH_ITERATIONS
# (default 10000, which only makes adding users quicker; empty: Rookery's default) and DOVECOT_SCHEME (default PLAIN; e.g.
# SHA512-CRYPT, hashed with doveadm pw) set how each server keeps the passwords. NEED_LOAD=0: imap-load is not built.
# ROOKERY_DATABASE_CONFIG: server.cfg lines for Rookery's database (default database_engine = sqlite).

# shellcheck source=bench/compare/common.sh
. "$ROOT/bench/compare/common.sh"

TMP=""; ROOKERY_PID=""; DOVECOT_PID=""; DOVECOT_CONF=""; POLICY_RC_CREATED=0; RESULTS=""; CLIENT_PID=""
declare -A SYSCTL_RESTORE=()
ROOKERY_PORT=""; DOVECOT_PORT=""

cleanup() {
  local rc=$?
  set +e
  trap - EXIT
  trap '' INT TERM
  stop_pid imap-load "$CLIENT_PID"
  if [[ -n $DOVECOT_PID ]] && kill -0 "$DOVECOT_PID" 2>/dev/null; then
    # doveadm stop signals the master of this config's base_dir, i.e. the one we started.
    doveadm -c "$DOVECOT_CONF" stop >/dev/null 2>&1 || true
    stop_pid dovecot "$DOVECOT_PID"
  fi
  DOVECOT_PID=""
  stop_pid rookery "$ROOKERY_PID"
  ROOKERY_PID=""
  if (( POLICY_RC_CREATED )); then rm -f /usr/sbin/policy-rc.d; fi
  local key
  for key in "${!SYSCTL_RESTORE[@]}"; do
    echo "${SYSCTL_RESTORE[$key]}" >"/proc/sys/$key" 2>/dev/null && say "restored $key = ${SYSCTL_RESTORE[$key]}"
  done
  if [[ -n $TMP && -d $TMP ]]; then
    if [[ -n $RESULTS && -d $RESULTS ]]; then
      cp "$TMP"/rookery.log "$TMP"/dovecot/dovecot.log "$TMP"/dovecot/dovecot.conf "$TMP"/rookery/etc/*.cfg "$TMP"/*.tsv "$RESULTS"/ 2>/dev/null
    fi
    if (( KEEP )); then say "kept $TMP"; else rm -rf -- "$TMP"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'warn interrupted; exit 130' INT
trap 'warn terminated; exit 143' TERM

# raise_sysctl KEY MIN (KEY as a path under /proc/sys): raises a kernel limit to at least MIN for the
# run; cleanup puts the old value back. Warns when it cannot (not root, read-only /proc/sys).
raise_sysctl() {
  local key=$1 min=$2 old
  old=$(cat "/proc/sys/$key" 2>/dev/null) || { warn "cannot read /proc/sys/$key"; return 1; }
  (( old >= min )) && return 0
  if echo "$min" >"/proc/sys/$key" 2>/dev/null; then
    SYSCTL_RESTORE[$key]=$old
    say "raised $key from $old to $min for this run"
  else
    warn "cannot raise $key from $old to $min"
    return 1
  fi
}
fd_limit() {  # NOFILE (default 65536), capped at the hard limit this shell may raise ulimit -n to
  local hard
  hard=$(ulimit -Hn)
  if [[ $hard == unlimited ]] || (( hard >= ${NOFILE:-65536} )); then echo "${NOFILE:-65536}"; else echo "$hard"; fi
}

# ---------------------------------------------------------------- install ---
install_missing() {
  local missing=()
  command -v dovecot >/dev/null && command -v doveadm >/dev/null || missing+=(dovecot-core)
  [[ -x /usr/lib/dovecot/imap && -x /usr/lib/dovecot/imap-login ]] || missing+=(dovecot-imapd)
  command -v ss >/dev/null || missing+=(iproute2)
  apt_install "${missing[@]}"
}

# ------------------------------------------------------------------ build ---
DLL=src/Rookery/bin/Release/net10.0/rookery.dll
LOAD_DLL=bench/compare/imap-load/bin/Release/net10.0/imap-load.dll
build_all() {
  if (( BUILD )); then
    if [[ -f $DLL && -z $(newer_sources "$DLL" src Directory.Build.props Directory.Packages.props global.json) ]]; then
      say "reusing $DLL (newer than every source)"
    else
      say "building Rookery (Release)"
      dotnet build src/Rookery/Rookery.csproj -c Release -nologo -v q -clp:ErrorsOnly >&2 || die "build failed"
    fi
    if [[ ${NEED_LOAD:-1} == 0 ]]; then
      :
    elif [[ -f $LOAD_DLL && -z $(newer_sources "$LOAD_DLL" bench/compare/imap-load Directory.Build.props Directory.Packages.props) ]]; then
      say "reusing $LOAD_DLL"
    else
      say "building bench/compare/imap-load (Release)"
      dotnet build bench/compare/imap-load/ImapLoad.csproj -c Release -nologo -v q -clp:ErrorsOnly >&2 || die "build of imap-load failed"
    fi
  fi
  [[ -f $DLL ]] || die "$DLL is missing (build it, or drop --no-build)"
  [[ -f $LOAD_DLL || ${NEED_LOAD:-1} == 0 ]] || die "$LOAD_DLL is missing (build it, or drop --no-build)"
  DOTNET_VERSION=$(dotnet --list-runtimes | awk '/Microsoft.NETCore.App 10\./ {v=$2} END {print v}')
  DLL=$ROOT/$DLL
  LOAD_DLL=$ROOT/$LOAD_DLL
  DOVECOT_VERSION=$(dovecot --version | awk '{print $1}')
}
imap_load() { dotnet "$LOAD_DLL" "$@"; }

make_tmp() {
  TMP=$(mktemp -d "/tmp/rookery-$BENCH-XXXXXX")
  chmod 755 "$TMP"    # Dovecot's mail processes (nobody) must reach $TMP/dovecot/mail
  RESULTS=$ROOT/.bench-results/$BENCH-$(date +%Y%m%d-%H%M%S)
  mkdir -p "$RESULTS"
}

# Waits until $2 answers with an IMAP greeting; $3 is the server's PID.

# ----------------------------------------------------------------- Rookery ---
# Users bench0 .. bench$((USERS-1)), password pw, on both servers.
start_rookery() {
  R=$TMP/rookery
  mkdir -p "$R/etc" "$R/data"
  rookery() { dotnet "$DLL" "$@" --config-dir "$R/etc" --data-dir "$R/data"; }
  cat >"$R/etc/server.cfg" <<CFG
# written by bench/compare/$BENCH.sh
log_level = 2
server_listen =
${ROOKERY_DATABASE_CONFIG:-database_engine = sqlite}
# imap is off by default for everybody (as in the container): on for the bench users
disabled_features =
$( [[ -z ${ROOKERY_HASH_ITERATIONS-10000} ]] || printf '# only makes adding the bench users quicker\npassword_hash_iterations = %s' "${ROOKERY_HASH_ITERATIONS-10000}" )
CFG
  ROOKERY_PORT=$(pick_port $((24000 + RANDOM % 2000))) || die "no free port for Rookery"
  cat >"$R/etc/gateway.cfg" <<CFG
# written by bench/compare/$BENCH.sh
imap_listen = 127.0.0.1:$ROOKERY_PORT
pop3_listen =
log_level = 2
imap_max_connections_per_user = 0
imap_max_connections_per_address = 0
${ROOKERY_GATEWAY_EXTRA:-}
CFG
  printf '# written by bench/compare/%s.sh\nlmtp_listen =\nlog_level = 2\n' "$BENCH" >"$R/etc/dagent.cfg"

  say "adding $USERS users to Rookery"
  local u first=${FIRST_USER:-0} prefix=${USER_PREFIX:-bench} password=${PASSWORD:-pw}
  rookery admin user add "$prefix$first" --password "$password" --email "$prefix$first@example.com" >>"$TMP/rookery-admin.log" 2>&1 ||
    { tail -n 20 "$TMP/rookery-admin.log" >&2; die "rookery admin user add $prefix$first failed"; }
  # The rest two at a time (each is a process start; the first one created the database).
  for ((u = first + 1; u < first + USERS; u++)); do echo "$u"; done |
    xargs -r -P 2 -I{} dotnet "$DLL" admin user add "$prefix{}" --password "$password" --email "$prefix{}@example.com" \
      --config-dir "$R/etc" --data-dir "$R/data" >>"$TMP/rookery-admin.log" 2>&1 ||
    { tail -n 20 "$TMP/rookery-admin.log" >&2; die "rookery admin user add failed"; }

  say "starting Rookery on 127.0.0.1:$ROOKERY_PORT"
  # Started from its configuration directory: `serve` watches its working directory recursively.
  (cd "$R/etc" && ulimit -n "$(fd_limit)" && exec dotnet "$DLL" serve --config-dir "$R/etc" --data-dir "$R/data") </dev/null >"$TMP/rookery.log" 2>&1 &
  ROOKERY_PID=$!
  wait_imap Rookery "$ROOKERY_PORT" "$ROOKERY_PID" || { tail -n 30 "$TMP/rookery.log" >&2; die "Rookery did not start"; }
}

# ----------------------------------------------------------------- Dovecot ---
start_dovecot() {
  D=$TMP/dovecot
  local mail_uid mail_gid internal_user login_user u
  mail_uid=$(id -u nobody) mail_gid=$(getent group nogroup | cut -d: -f3)
  [[ -n $mail_uid && -n $mail_gid ]] || die "need the user nobody and the group nogroup for Dovecot's mail processes"
  mkdir -p "$D/run" "$D/mail" "$D/tmp"
  chown "$mail_uid:$mail_gid" "$D/mail" "$D/tmp"
  local first=${FIRST_USER:-0} prefix=${USER_PREFIX:-bench} scheme=${DOVECOT_SCHEME:-PLAIN} hash
  if [[ $scheme == PLAIN ]]; then hash="{PLAIN}${PASSWORD:-pw}"; else hash=$(doveadm pw -s "$scheme" -p "${PASSWORD:-pw}"); fi
  for ((u = first; u < first + USERS; u++)); do
    echo "$prefix$u:$hash:$mail_uid:$mail_gid::$D/mail/$prefix$u::"
  done >"$D/users"
  DOVECOT_PORT=$(pick_port $((ROOKERY_PORT + 1))) || die "no free port for Dovecot"
  DOVECOT_CONF=$D/dovecot.conf
  dovecot_process_users
  cat >"$DOVECOT_CONF" <<EOF
# written by bench/compare/$BENCH.sh — a private Dovecot: IMAP only, loopback, temp dir
instance_name = rookery-$BENCH
base_dir = $D/run
state_dir = $D/run
log_path = $D/dovecot.log
info_log_path = $D/dovecot.log
debug_log_path = $D/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
default_internal_user = $internal_user
default_login_user = $login_user
first_valid_uid = $mail_uid
first_valid_gid = $mail_gid
mail_location = maildir:$D/mail/%u
mail_temp_dir = $D/tmp
# durability on: fsync every saved message (and index/uidlist) before the reply
mail_fsync = always
mail_plugins =
default_process_limit = 20000
default_client_limit = 100000
passdb {
  driver = passwd-file
  args = $D/users
}
userdb {
  driver = passwd-file
  args = $D/users
}
protocol imap {
  mail_max_userip_connections = 100000
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT_PORT
  }
  inet_listener imaps {
    port = 0
  }
${DOVECOT_LOGIN_EXTRA:-}
}
${DOVECOT_EXTRA:-}
EOF
  doveconf -c "$DOVECOT_CONF" -n >"$D/doveconf-n.txt" 2>"$D/doveconf.err" ||
    { cat "$D/doveconf.err" >&2; die "Dovecot does not accept the generated $DOVECOT_CONF"; }
  say "starting Dovecot $DOVECOT_VERSION on 127.0.0.1:$DOVECOT_PORT"
  (ulimit -n "$(fd_limit)" && exec dovecot -F -c "$DOVECOT_CONF") </dev/null >"$D/dovecot.out" 2>&1 &
  DOVECOT_PID=$!
  wait_imap Dovecot "$DOVECOT_PORT" "$DOVECOT_PID" ||
    { tail -n 30 "$D/dovecot.log" "$D/dovecot.out" >&2; die "Dovecot did not start"; }
}

# ------------------------------------------------------------ CPU, noise ---
# CPU seconds a server used so far: Rookery's one process; Dovecot's master, its live
# descendants (imap, imap-login, auth, ...) and the children it already reaped.
server_cpu() {
  local total=0 p
  if [[ $1 == rookery ]]; then
    total=$(cpu_ticks "$ROOKERY_PID")
  else
    total=$(cpu_ticks "$DOVECOT_PID" 1)
    for p in $(descendants "$DOVECOT_PID"); do total=$(( total + $(cpu_ticks "$p") )); done
  fi
  awk -v t="$total" -v h="$clk_tck" 'BEGIN { printf "%.2f", t / h }'
}
QUIET_WAIT=${IMAP_BENCH_QUIET_WAIT:-300}
NOISE_CORES=${IMAP_BENCH_NOISE_CORES:-0.2}
RETRIES=${IMAP_BENCH_RETRIES:-3}
wait_quiet() {  # until processes other than the two servers use less than NOISE_CORES (at most QUIET_WAIT s)
  wait_quiet_except "$ROOKERY_PID" "$DOVECOT_PID"
}
