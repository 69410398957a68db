#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions run from traps look unreachable to shellcheck
# bench/compare/ldap-login.sh — logins with the LDAP user plugin, and Postfix lookups: Rookery against
# Dovecot (logins) and against Postfix's own LDAP table (lookups), same slapd, same machine, same run.
#
#   bench/compare/ldap-login.sh [-n USERS] [-c "1 10"] [-w WARMUP] [-l LOOKUPS] [-s "1"] [--dovecot-defaults]
#                               [--trace] [--no-build] [--keep]
#
#   -n USERS     users per login pass (default 1000): each client count logs in a block of its own,
#                each user once (cold), then the same block again (warm)
#   -c LIST      concurrent IMAP clients (default "1 10")
#   -w WARMUP    warm-up users, logged in ten times each before every measured pass, never measured (default 50)
#   -l LOOKUPS   addresses per lookup pass (default 1000; at most USERS x client counts / 2)
#   -s LIST      concurrent lookup connections (default "1")
#   --dovecot-defaults  Dovecot's process defaults (a new imap-login process per connection and a new
#                imap process per login) instead of its documented high-performance settings: imap-login
#                service_count = 0 with process_min_avail = cores, imap processes reused (service_count = 1000)
#   --trace      after the measurements, profile Rookery (dotnet-trace, sampled thread time) during a cold
#                and a warm login pass of USERS more users at the last client count; the traces and their
#                top methods (exclusive and inclusive) go with the results
#   --no-build   use the Release builds as they are
#   --keep       keep the temp directory (configs, directory, logs)
#
# What it does: installs slapd, ldap-utils, dovecot-core, dovecot-imapd, dovecot-ldap, postfix and
# postfix-ldap when missing (no service is started: policy-rc.d; Postfix gets "No configuration");
# builds Rookery and bench/compare/ldap-load (Release) when their sources are newer; then, all in a
# temp dir, on free loopback ports:
#   - a throwaway slapd (cn=config as tests/Rookery.Store.Tests/Slapd.cs builds it: core, cosine,
#     inetorgperson, nis and deploy/ldap/rookery.ldif, mdb with equality indexes) holding bench0.. and
#     warm0.. (inetOrgPerson + posixAccount + kopano-user, mail, {SSHA} userPassword "pw") and 10
#     posixGroup/kopano-group groups that each user is a member of one of;
#   - Rookery (`rookery serve`: gateway IMAP and dagent's socketmap only, SQLite) with user_plugin = ldap
#     and deploy/config's ldap.cfg + ldap.openldap.cfg pointed at the slapd (bind login, reader DN,
#     ldap_cache_timeout and ldap_pool_size at their defaults); every user's store is created before
#     anything is measured (`rookery admin --list-users`), so no login pays for a new store;
#   - Dovecot from Debian (`dovecot -F -c`, IMAP only, maildir) with an LDAP passdb (auth_bind = yes,
#     the user's DN found with the reader DN) and LDAP userdb (its own connection, as Dovecot's
#     documentation advises with auth_bind) on the same slapd, auth_cache_size = 10M;
#     every user's maildir exists beforehand; login and imap processes are reused (--dovecot-defaults:
#     not), so a login costs Dovecot its authentication, not two process starts.
# Logins: bench/compare/ldap-load opens a connection per login: greeting, LOGIN, LOGOUT, close; C
# clients at once. Both servers first get 2000 unmeasured logins of the warm-up users and a 5 s pause
# (.NET's tiered JIT), and 500 before every pass. "cold" is the first login of each user of the block since the servers started,
# "warm" the same users again right after (Dovecot then answers from its auth cache; Rookery from
# what its LDAP cache holds — see docs/performance.md).
# Lookups: Rookery's socketmap (`mailbox ADDRESS`, one connection per client, netstrings as Postfix's
# socketmap client sends them) for existing and unknown addresses, cold then warm; the reference is
# what Postfix does without Rookery: deploy/postfix/ldap-users.cf's query per lookup on one kept
# LDAP connection, done by ldap-load through libldap (p50/p99) and by Postfix itself (`postmap -q -`,
# keys on stdin, one process and connection: lookups/s only). postmap also asks the socketmap, so both
# tables are timed with the same client.
#
# On a shared machine: before each pass it waits (up to LDAP_BENCH_QUIET_WAIT s, 60) until other
# processes use less than LDAP_BENCH_NOISE_CORES cores (0.2); the cores others used during each pass
# are in the tables (a cold pass cannot be run again, so nothing is retried). Load averages are printed.
#
# Results (tables, per-pass numbers, configs, logs) go to .bench-results/ldap-login-<date>/.

set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BENCH=ldap-login

usage() {
  echo "usage: bench/compare/ldap-login.sh [-n USERS] [-c \"1 10\"] [-w WARMUP] [-l LOOKUPS] [-s \"1\"] [--no-build] [--keep]" >&2
  exit 2
}
USERS=1000; LEVELS="1 10"; WARMUP=50; LOOKUPS=1000; MAP_LEVELS="1"; DOVECOT_DEFAULTS=0; TRACE=0; BUILD=1; KEEP=0
is_int() { [[ $1 =~ ^[0-9]+$ ]] && (( $1 > 0 )); }
while (($# > 0)); do
  case $1 in
    -n) [[ $# -ge 2 ]] && is_int "$2" || usage; USERS=$2; shift 2 ;;
    -c) [[ $# -ge 2 ]] || usage; LEVELS=$2; shift 2 ;;
    -w) [[ $# -ge 2 ]] && is_int "$2" || usage; WARMUP=$2; shift 2 ;;
    -l) [[ $# -ge 2 ]] && is_int "$2" || usage; LOOKUPS=$2; shift 2 ;;
    -s) [[ $# -ge 2 ]] || usage; MAP_LEVELS=$2; shift 2 ;;
    --dovecot-defaults) DOVECOT_DEFAULTS=1; shift ;;
    --trace) TRACE=1; shift ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//' >&2; usage ;;
    *) usage ;;
  esac
done
for c in $LEVELS $MAP_LEVELS; do is_int "$c" || usage; done
NLEVELS=$(wc -w <<<"$LEVELS")
(( 2 * LOOKUPS <= USERS * NLEVELS )) || { echo "-l $LOOKUPS: at most $(( USERS * NLEVELS / 2 )) with -n $USERS and ${NLEVELS} client count(s)" >&2; usage; }
TOTAL_USERS=$(( USERS * (NLEVELS + TRACE) ))   # --trace: one more block

# shellcheck source=bench/compare/common.sh
. "$ROOT/bench/compare/common.sh"

QUIET_WAIT=${LDAP_BENCH_QUIET_WAIT:-60}
NOISE_CORES=${LDAP_BENCH_NOISE_CORES:-0.2}

# ---------------------------------------------------------------- state ---
TMP=""; RESULTS=""; SLAPD_PID=""; ROOKERY_PID=""; DOVECOT_PID=""; DOVECOT_CONF=""; CLIENT_PID=""; TRACE_PID=""

cleanup() {
  local rc=$?
  set +e
  trap - EXIT
  trap '' INT TERM
  stop_pid ldap-load "$CLIENT_PID"
  stop_pid dotnet-trace "$TRACE_PID"
  if [[ -n $DOVECOT_PID ]] && kill -0 "$DOVECOT_PID" 2>/dev/null; then
    # doveadm stop signals the master of this config's base_dir, i.e. the one we started.
    doveadm -c "$DOVECOT_CONF" stop >/dev/null 2>&1 || true
    stop_pid dovecot "$DOVECOT_PID"
  fi
  stop_pid rookery "$ROOKERY_PID"
  stop_pid slapd "$SLAPD_PID"
  if (( POLICY_RC_CREATED )); then rm -f /usr/sbin/policy-rc.d; fi
  if [[ -n $TMP && -d $TMP ]]; then
    if [[ -n $RESULTS && -d $RESULTS ]]; then
      cp "$TMP"/rookery.log "$TMP"/slapd.log "$TMP"/*.tsv "$TMP"/rookery/etc/*.cfg "$TMP"/dovecot/dovecot.log \
        "$TMP"/dovecot/dovecot.conf "$TMP"/dovecot/dovecot-ldap.conf.ext "$RESULTS"/ 2>/dev/null
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
[[ -x /usr/sbin/slapd && -x /usr/sbin/slapadd ]] || missing+=(slapd)
command -v slappasswd >/dev/null || missing+=(slapd)
command -v ldapsearch >/dev/null || missing+=(ldap-utils)
command -v dovecot >/dev/null && command -v doveadm >/dev/null || missing+=(dovecot-core)
[[ -x /usr/lib/dovecot/imap && -x /usr/lib/dovecot/imap-login ]] || missing+=(dovecot-imapd)
compgen -G '/usr/lib/dovecot/modules/auth/libauthdb_ldap.so' >/dev/null || missing+=(dovecot-ldap)
[[ -x /usr/sbin/postmap ]] || missing+=(postfix)
[[ -f /usr/lib/postfix/postfix-ldap.so ]] || missing+=(postfix-ldap)
command -v ss >/dev/null || missing+=(iproute2)
# shellcheck disable=SC2046
apt_install $(printf '%s\n' "${missing[@]}" | sort -u)
[[ $(id -u) == 0 ]] || die "run as root: Dovecot's imap processes switch to the mail user's uid"

# ------------------------------------------------------------------ build ---
DLL=src/Rookery/bin/Release/net10.0/rookery.dll
LOAD_DLL=bench/compare/ldap-load/bin/Release/net10.0/ldap-load.dll
if (( BUILD )); then
  build_release Rookery src/Rookery/Rookery.csproj "$DLL" src Directory.Build.props Directory.Packages.props global.json
  build_release ldap-load bench/compare/ldap-load/LdapLoad.csproj "$LOAD_DLL" bench/compare/ldap-load Directory.Build.props Directory.Packages.props
fi
[[ -f $DLL ]] || die "$DLL is missing (build it, or drop --no-build)"
[[ -f $LOAD_DLL ]] || die "$LOAD_DLL is missing (build it, or drop --no-build)"
DLL=$ROOT/$DLL
LOAD_DLL=$ROOT/$LOAD_DLL
DOTNET_VERSION=$(dotnet --list-runtimes | awk '/Microsoft.NETCore.App 10\./ {v=$2} END {print v}')
DOVECOT_VERSION=$(dovecot --version | awk '{print $1}')
SLAPD_VERSION=$(dpkg-query -W -f '${Version}' slapd 2>/dev/null || echo '?')
POSTFIX_VERSION=$(dpkg-query -W -f '${Version}' postfix 2>/dev/null || echo '?')

TMP=$(mktemp -d "/tmp/rookery-$BENCH-XXXXXX")
chmod 755 "$TMP"    # Dovecot's mail processes (nobody) must reach $TMP/dovecot/mail
RESULTS=$ROOT/.bench-results/$BENCH-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RESULTS"
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------- slapd ---
SUFFIX=dc=example,dc=com
READER_DN=cn=reader,$SUFFIX
READER_PW=reader
S=$TMP/slapd
mkdir -p "$S/config" "$S/data"
SLAPD_PORT=$(pick_port $((26000 + RANDOM % 2000))) || die "no free port for slapd"
cat >"$S/config.ldif" <<EOF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $S/slapd.pid

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif
include: file:///etc/ldap/schema/nis.ldif
include: file://$ROOT/deploy/ldap/rookery.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: unlimited

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $SUFFIX
olcRootDN: cn=admin,$SUFFIX
olcRootPW: secret
olcDbDirectory: $S/data
olcDbMaxSize: 268435456
olcAccess: {0}to attrs=userPassword by self read by dn.exact="$READER_DN" read by anonymous auth by * none
olcAccess: {1}to * by * read
olcDbIndex: objectClass eq
olcDbIndex: uid,mail,kopanoAliases,memberUid,member,uidNumber,gidNumber eq
EOF
slapadd -n0 -F "$S/config" -l "$S/config.ldif" >"$TMP/slapadd.log" 2>&1 || { cat "$TMP/slapadd.log" >&2; die "slapadd of cn=config failed"; }
say "generating the directory: $TOTAL_USERS users + $WARMUP warm-up users, 10 groups"
HASH=$(slappasswd -h '{SSHA}' -s pw)
{
  printf 'dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n' "$SUFFIX"
  printf 'dn: %s\nobjectClass: simpleSecurityObject\nobjectClass: organizationalRole\ncn: reader\nuserPassword: %s\n\n' "$READER_DN" "$READER_PW"
  printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$SUFFIX"
  printf 'dn: ou=groups,%s\nobjectClass: organizationalUnit\nou: groups\n\n' "$SUFFIX"
  awk -v n="$TOTAL_USERS" -v w="$WARMUP" -v hash="$HASH" -v suffix="$SUFFIX" 'BEGIN {
    for (k = 0; k < n + w; k++) {
      if (k < n) { login = "bench" k; id = 10000 + k } else { login = "warm" (k - n); id = 90000 + k - n }
      printf "dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: kopano-user\n", login, suffix
      printf "uid: %s\ncn: %s\nsn: %s\nuidNumber: %d\ngidNumber: 100\nhomeDirectory: /home/%s\n", login, login, login, id, login
      printf "mail: %s@example.com\nkopanoAliases: %s.alias@example.com\nuserPassword: %s\nkopanoAccount: 1\n\n", login, login, hash
      members[k % 10] = members[k % 10] "memberUid: " login "\n"
    }
    for (g = 0; g < 10; g++)
      printf "dn: cn=team%d,ou=groups,%s\nobjectClass: posixGroup\nobjectClass: kopano-group\ncn: team%d\ngidNumber: %d\nmail: team%d@example.com\n%s\n", g, suffix, g, 5000 + g, g, members[g]
  }'
} >"$S/data.ldif"
slapadd -q -n1 -F "$S/config" -l "$S/data.ldif" >>"$TMP/slapadd.log" 2>&1 || { tail -n 20 "$TMP/slapadd.log" >&2; die "slapadd of the entries failed"; }
say "starting slapd $SLAPD_VERSION on 127.0.0.1:$SLAPD_PORT"
# -d 0: in the foreground, so the PID we have is slapd's own
slapd -h "ldap://127.0.0.1:$SLAPD_PORT/" -F "$S/config" -d 0 </dev/null >"$TMP/slapd.log" 2>&1 &
SLAPD_PID=$!
for ((i = 0; i < 100; i++)); do
  kill -0 "$SLAPD_PID" 2>/dev/null || { cat "$TMP/slapd.log" >&2; die "slapd exited"; }
  port_in_use "$SLAPD_PORT" && break
  sleep 0.1
done
found=$(ldapsearch -x -LLL -H "ldap://127.0.0.1:$SLAPD_PORT/" -D "$READER_DN" -w "$READER_PW" -b "$SUFFIX" '(objectClass=posixAccount)' 1.1 | grep -c '^dn:' || true)
(( found == TOTAL_USERS + WARMUP )) || die "slapd holds $found users, expected $((TOTAL_USERS + WARMUP))"

# Keys: block k of logins (bench k*USERS ..), warm-up logins, lookup addresses.
K=$TMP/keys
mkdir -p "$K"
# The warm-up users ten times over: enough calls for .NET's tiered JIT to have compiled the login
# path fully before the first measured pass, so "cold" means a cold cache, not cold code.
for ((r = 0; r < 10; r++)); do for ((w = 0; w < WARMUP; w++)); do echo "warm$w"; done; done >"$K/warmup-logins"
for ((r = 0; r < 10; r++)); do for ((w = 0; w < WARMUP; w++)); do echo "warm$w@example.com"; done; done >"$K/warmup-addresses"
for ((r = 0; r < 10; r++)); do for ((w = 0; w < WARMUP; w++)); do echo "nowarm$w@example.com"; done; done >"$K/warmup-unknown"
k=0
for c in $LEVELS; do
  for ((u = k * USERS; u < (k + 1) * USERS; u++)); do echo "bench$u"; done >"$K/logins-$k"
  k=$((k + 1))
done
for ((u = k * USERS; u < (k + 1) * USERS && TRACE; u++)); do echo "bench$u"; done >"$K/logins-trace"
for ((u = 0; u < LOOKUPS; u++)); do echo "bench$u@example.com"; done >"$K/known-a"
for ((u = LOOKUPS; u < 2 * LOOKUPS; u++)); do echo "bench$u@example.com"; done >"$K/known-b"
for ((u = 0; u < LOOKUPS; u++)); do echo "nobody$u@example.com"; done >"$K/unknown-a"
for ((u = 0; u < LOOKUPS; u++)); do echo "nosuch$u@example.com"; done >"$K/unknown-b"

# ----------------------------------------------------------------- Rookery ---
R=$TMP/rookery
mkdir -p "$R/etc" "$R/data"
ROOKERY_PORT=$(pick_port $((SLAPD_PORT + 1))) || die "no free port for Rookery"
SOCKETMAP_PORT=$(pick_port $((ROOKERY_PORT + 1))) || die "no free port for the socketmap"
cat >"$R/etc/server.cfg" <<CFG
# written by bench/compare/$BENCH.sh
log_level = 2
server_listen =
database_engine = sqlite
user_plugin = ldap
# imap is off by default for everybody (as in the container): on for the bench users
disabled_features =
CFG
cp deploy/config/ldap.cfg deploy/config/ldap.openldap.cfg deploy/config/ldap.propmap.cfg "$R/etc/"
cat >>"$R/etc/ldap.cfg" <<CFG

# bench/compare/$BENCH.sh: the throwaway slapd
ldap_uri = ldap://127.0.0.1:$SLAPD_PORT/
ldap_bind_user = $READER_DN
ldap_bind_passwd = $READER_PW
ldap_search_base = $SUFFIX
CFG
cat >"$R/etc/gateway.cfg" <<CFG
# written by bench/compare/$BENCH.sh
imap_listen = 127.0.0.1:$ROOKERY_PORT
pop3_listen =
log_level = 2
imap_max_connections_per_user = 0
imap_max_connections_per_address = 0
CFG
cat >"$R/etc/dagent.cfg" <<CFG
# written by bench/compare/$BENCH.sh
lmtp_listen =
postfix_socketmap_listen = 127.0.0.1:$SOCKETMAP_PORT
log_level = 2
CFG
say "creating the stores of every user (rookery admin --list-users)"
t0=$(now)
dotnet "$DLL" admin --list-users --config-dir "$R/etc" --data-dir "$R/data" >"$TMP/list-users.out" 2>"$TMP/rookery-admin.log" ||
  { tail -n 20 "$TMP/rookery-admin.log" >&2; die "rookery admin --list-users failed"; }
listed=$(grep -c 'bench\|warm' "$TMP/list-users.out" || true)
say "  $listed users listed in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s"

say "starting Rookery on 127.0.0.1:$ROOKERY_PORT (IMAP) and 127.0.0.1:$SOCKETMAP_PORT (socketmap)"
# Started from its configuration directory: `serve` watches its working directory recursively.
(cd "$R/etc" && exec dotnet "$DLL" serve --config-dir "$R/etc" --data-dir "$R/data") </dev/null >"$TMP/rookery.log" 2>&1 &
ROOKERY_PID=$!
wait_imap Rookery "$ROOKERY_PORT" "$ROOKERY_PID" || { tail -n 30 "$TMP/rookery.log" >&2; die "Rookery did not start"; }

# ----------------------------------------------------------------- Dovecot ---
D=$TMP/dovecot
MAIL_UID=$(id -u nobody) MAIL_GID=$(getent group nogroup | cut -d: -f3)
[[ -n $MAIL_UID && -n $MAIL_GID ]] || die "need the user nobody and the group nogroup for Dovecot's mail processes"
mkdir -p "$D/run" "$D/mail" "$D/tmp"
say "creating every user's maildir for Dovecot"
(cd "$D/mail" && cat "$K"/logins-* "$K/warmup-logins" | sort -u | awk '{ print $1 "/Maildir/cur"; print $1 "/Maildir/new"; print $1 "/Maildir/tmp" }' | xargs mkdir -p)
chown -R "$MAIL_UID:$MAIL_GID" "$D/mail" "$D/tmp"
DOVECOT_PORT=$(pick_port $((SOCKETMAP_PORT + 1))) || die "no free port for Dovecot"
DOVECOT_CONF=$D/dovecot.conf
dovecot_process_users
cat >"$D/dovecot-ldap.conf.ext" <<EOF
# written by bench/compare/$BENCH.sh — the same slapd, reader DN and filter as Rookery's ldap.cfg
uris = ldap://127.0.0.1:$SLAPD_PORT
ldap_version = 3
dn = $READER_DN
dnpass = $READER_PW
# log in by binding as the user's DN, as Rookery's ldap_authentication_method = bind does
auth_bind = yes
base = $SUFFIX
scope = subtree
pass_filter = (&(objectClass=posixAccount)(uid=%u))
pass_attrs = uid=user
user_filter = (&(objectClass=posixAccount)(uid=%u))
user_attrs = =home=$D/mail/%{ldap:uid}, =uid=$MAIL_UID, =gid=$MAIL_GID
EOF
chmod 600 "$D/dovecot-ldap.conf.ext"
# The userdb under another name, as Dovecot's auth_bind documentation advises: one connection then only
# binds as users and the other only searches, instead of rebinding to dn before each user lookup.
ln -s dovecot-ldap.conf.ext "$D/dovecot-ldap-userdb.conf.ext"
cat >"$DOVECOT_CONF" <<EOF
# written by bench/compare/$BENCH.sh — a private Dovecot: IMAP only, loopback, temp dir, users from LDAP
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
first_valid_uid = $MAIL_UID
first_valid_gid = $MAIL_GID
mail_location = maildir:~/Maildir
mail_temp_dir = $D/tmp
mail_plugins =
default_process_limit = 20000
default_client_limit = 100000
auth_cache_size = 10M
auth_cache_ttl = 1 hour
auth_cache_negative_ttl = 1 hour
passdb {
  driver = ldap
  args = $D/dovecot-ldap.conf.ext
}
userdb {
  driver = ldap
  args = $D/dovecot-ldap-userdb.conf.ext
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
$( ((DOVECOT_DEFAULTS)) || printf '  # high-performance mode: long-lived login processes, one per core\n  service_count = 0\n  process_min_avail = %s\n' "$(nproc)")
}
$( ((DOVECOT_DEFAULTS)) || printf 'service imap {\n  # reuse imap processes (every user has the same uid here)\n  service_count = 1000\n}\n')
EOF
doveconf -c "$DOVECOT_CONF" -n >"$D/doveconf-n.txt" 2>"$D/doveconf.err" ||
  { cat "$D/doveconf.err" >&2; die "Dovecot does not accept the generated $DOVECOT_CONF"; }
say "starting Dovecot $DOVECOT_VERSION on 127.0.0.1:$DOVECOT_PORT"
dovecot -F -c "$DOVECOT_CONF" </dev/null >"$D/dovecot.out" 2>&1 &
DOVECOT_PID=$!
wait_imap Dovecot "$DOVECOT_PORT" "$DOVECOT_PID" || { tail -n 30 "$D/dovecot.log" "$D/dovecot.out" >&2; die "Dovecot did not start"; }

# ------------------------------------------------------------------ passes ---
load() { dotnet "$LOAD_DLL" "$@"; }
server_cpu() {  # CPU seconds so far of rookery, dovecot (its whole tree), slapd, or none
  case $1 in
    rookery) tree_cpu "$ROOKERY_PID" ;;
    dovecot) tree_cpu "$DOVECOT_PID" ;;
    slapd) tree_cpu "$SLAPD_PID" ;;
    *) echo 0 ;;
  esac
}
printf 'kind\tserver\tcache\tclients\tkeys\tcount\terrors\tseconds\tper_s\tp50_ms\tp90_ms\tp99_ms\tmax_ms\tserver_cpu_s\tslapd_cpu_s\tclient_cpu_s\tother_cores\tloadavg\n' >"$TMP/runs.tsv"
FAILED=()
# pass KIND SERVER CACHE CLIENTS KEYS MODE-ARGS...: one ldap-load pass; the servers' and slapd's CPU
# are sampled when ldap-load says its measured window starts and ends.
pass() {
  local kind=$1 server=$2 cache=$3 c=$4 keys=$5; shift 5
  local out=$TMP/pass.tsv line cpu0=0 cpu1=0 s0=0 s1=0 b0=0 b1=0 k0=0 k1=0 t0 t1="" rc=0 others secs result
  wait_quiet_except "$ROOKERY_PID" "$DOVECOT_PID" "$SLAPD_PID"
  rm -f "$out"
  load "$@" --clients "$c" --keys "$K/$keys" --label "$server" --output "$out" >"$TMP/client.out" 2>"$TMP/client.err" &
  CLIENT_PID=$!
  if line=$(wait_line "$TMP/client.out" '^WINDOW START' "$CLIENT_PID"); then
    cpu0=$(server_cpu "$server"); s0=$(server_cpu slapd); b0=$(busy_ticks); t0=$(now); k0=${line##* }
    if line=$(wait_line "$TMP/client.out" '^WINDOW END' "$CLIENT_PID"); then
      cpu1=$(server_cpu "$server"); s1=$(server_cpu slapd); b1=$(busy_ticks); t1=$(now); k1=${line##* }
    fi
  fi
  wait "$CLIENT_PID" || rc=$?
  CLIENT_PID=""
  sed 's/^/    /' "$TMP/client.err" >&2
  if [[ ! -s $out || -z $t1 ]]; then
    FAILED+=("$kind $server $cache c=$c: ldap-load exit $rc, no results"); warn "${FAILED[-1]}"; return 0
  fi
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  # cores others kept busy on average: machine busy time minus the server's, slapd's and the client's
  others=$(awk -v b="$(( b1 - b0 ))" -v h="$clk_tck" -v s="$(awk -v a="$cpu0" -v b="$cpu1" -v c="$s0" -v d="$s1" 'BEGIN { print b - a + (d - c) }')" \
    -v k="$(awk -v a="$k0" -v b="$k1" 'BEGIN { print b - a }')" -v t="$secs" \
    'BEGIN { o = (b / h - s - k) / t; printf "%.2f", (o < 0 ? 0 : o) }')
  result=$(awk -F'\t' 'NR == 2 { print $3 "\t" $4 "\t" $5 "\t" $6 "\t" $7 "\t" $8 "\t" $9 "\t" $10 }' "$out")
  if (( rc != 0 )); then FAILED+=("$kind $server $cache c=$c: ldap-load exit $rc ($(cut -f2 <<<"$result") errors)"); warn "${FAILED[-1]}"; fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$server" "$cache" "$c" "$keys" "$result" \
    "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }')" "$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.2f", b - a }')" \
    "$(awk -v a="$k0" -v b="$k1" 'BEGIN { printf "%.2f", b - a }')" "$others" "$(cut -d' ' -f1 /proc/loadavg)" >>"$TMP/runs.tsv"
  awk -F'\t' 'END { printf "%-6s %-8s %-5s c=%-3s %-10s %6s ok %4s err  %9s/s  p50 %8s ms  p99 %8s ms  server %5s s  slapd %5s s  client %5s s  others %s cores, load %s\n",
    $1, $2, $3, $4, $5, $6, $7, $9, $10, $12, $14, $15, $16, $17, $18 }' "$TMP/runs.tsv" >&2
}

# Before anything is measured: the warm-up logins four times over on each server, then a pause, so
# .NET's tiered JIT has compiled the whole login path (tier 1) and is idle again; without it the first
# measured pass pays for background JIT work and looks like a cold-cache cost it is not.
say "warming up both servers: $(( 4 * $(wc -l <"$K/warmup-logins") )) logins each, not measured"
for port in "$ROOKERY_PORT" "$DOVECOT_PORT"; do
  for ((r = 0; r < 4; r++)); do
    load login --port "$port" --password pw --clients 4 --keys "$K/warmup-logins" --label warmup --output "$TMP/warmup.tsv" >/dev/null 2>"$TMP/client.err" ||
      die "warm-up logins on port $port failed: $(tail -n 1 "$TMP/client.err")"
  done
done
sleep 5

say "logins: $USERS users per pass, clients: $LEVELS"
k=0
for c in $LEVELS; do
  # alternate which server goes first, so slapd's and the page cache's warming hits both alike
  if (( k % 2 )); then order="dovecot rookery"; else order="rookery dovecot"; fi
  for s in $order; do
    if [[ $s == rookery ]]; then port=$ROOKERY_PORT; else port=$DOVECOT_PORT; fi
    for cache in cold warm; do
      pass login "$s" "$cache" "$c" "logins-$k" login --port "$port" --password pw --warmup-keys "$K/warmup-logins"
    done
  done
  k=$((k + 1))
done

say "lookups: $LOOKUPS addresses per pass, connections: $MAP_LEVELS"
ldap_args=(ldap --port "$SLAPD_PORT" --base "$SUFFIX" --filter '(&(objectClass=posixAccount)(mail=%s))' --attribute mail)
first=1
for c in $MAP_LEVELS; do
  # cold: addresses nobody asked Rookery for yet; further connection counts reuse them, so only warm
  if (( first )); then caches="cold warm"; else caches="warm"; fi
  first=0
  for cache in $caches; do
    pass map rookery "$cache" "$c" known-a socketmap --port "$SOCKETMAP_PORT" --map mailbox --expect ok --warmup-keys "$K/warmup-addresses"
    pass map rookery "$cache" "$c" unknown-a socketmap --port "$SOCKETMAP_PORT" --map mailbox --expect notfound --warmup-keys "$K/warmup-unknown"
    pass map ldap "$cache" "$c" known-a "${ldap_args[@]}" --expect ok --warmup-keys "$K/warmup-addresses"
    pass map ldap "$cache" "$c" unknown-a "${ldap_args[@]}" --expect notfound --warmup-keys "$K/warmup-unknown"
  done
done

# Postfix's own client on both tables: postmap -q - reads keys from stdin and looks each one up in
# turn, over one connection. Per lookup = (time for all keys - time for one key) / (keys - 1), so
# the process start and the table's opening are left out (the "cold" pass's first key is then warm:
# one of LOOKUPS).
P=$TMP/postfix
mkdir -p "$P"
echo "compatibility_level = 3.6" >"$P/main.cf"
sed "s|^server_host = .*|server_host = ldap://127.0.0.1:$SLAPD_PORT|" deploy/postfix/ldap-users.cf >"$P/ldap-users.cf"
grep -q "127.0.0.1:$SLAPD_PORT" "$P/ldap-users.cf" || die "could not point ldap-users.cf at the slapd"
printf 'table\tcache\tkeys\tfound\tseconds\tseconds_one\tper_s\tmean_ms\tloadavg\n' >"$TMP/postmap.tsv"
postmap_pass() {  # postmap_pass NAME CACHE KEYS TABLE
  local name=$1 cache=$2 keys=$3 table=$4 t0 t1 t2 found n
  wait_quiet_except "$ROOKERY_PID" "$DOVECOT_PID" "$SLAPD_PID"
  local one i
  n=$(wc -l <"$K/$keys")
  # the one-key time (process start, table opening, one lookup): median of three, on the first key
  one=$(for ((i = 0; i < 3; i++)); do
      t0=$(now)
      head -n 1 "$K/$keys" | postmap -c "$P" -q - "$table" >/dev/null 2>>"$TMP/postmap.err" || true
      awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }'
    done | median_of)
  t1=$(now)
  found=$(postmap -c "$P" -q - "$table" <"$K/$keys" 2>>"$TMP/postmap.err" | wc -l || true)
  t2=$(now)
  awk -v name="$name" -v cache="$cache" -v keys="$keys" -v found="$found" -v n="$n" -v one="$one" -v t1="$t1" -v t2="$t2" -v la="$(cut -d' ' -f1 /proc/loadavg)" \
    'BEGIN { all = t2 - t1; per = (all - one) / (n - 1); printf "%s\t%s\t%s\t%s\t%.3f\t%.3f\t%.1f\t%.3f\t%s\n", name, cache, keys, found, all, one, (per > 0 ? 1 / per : 0), per * 1000, la }' >>"$TMP/postmap.tsv"
  tail -n 1 "$TMP/postmap.tsv" | awk -F'\t' '{ printf "postmap %-9s %-5s %-10s %5s found  %8s/s  mean %s ms (all %s s, one key %s s)\n", $1, $2, $3, $4, $7, $8, $5, $6 }' >&2
}
for cache in cold warm; do
  postmap_pass socketmap "$cache" known-b "socketmap:inet:127.0.0.1:$SOCKETMAP_PORT:mailbox"
  postmap_pass socketmap "$cache" unknown-b "socketmap:inet:127.0.0.1:$SOCKETMAP_PORT:mailbox"
  postmap_pass ldap "$cache" known-b "ldap:$P/ldap-users.cf"
  postmap_pass ldap "$cache" unknown-b "ldap:$P/ldap-users.cf"
done
for keys in known-b unknown-b; do
  want=0; [[ $keys == known-b ]] && want=$LOOKUPS
  awk -F'\t' -v k="$keys" -v w="$want" 'NR > 1 && $3 == k && $4 != w { bad = bad " " $1 "/" $2 "=" $4 } END { if (bad != "") { print "postmap " k ": expected " w " found, got" bad; exit 1 } }' "$TMP/postmap.tsv" ||
    FAILED+=("postmap $keys: wrong number of answers (see postmap.tsv)")
done

# ------------------------------------------------------------------ trace ---
# dotnet-trace stops (and completes the file) on SIGINT, which a background job of this shell would
# ignore: python3 gives it back its default disposition before starting dotnet-trace.
trace_pass() {  # trace_pass NAME CLIENTS KEYS: one login pass over KEYS with Rookery under dotnet-trace
  local name=$1 c=$2 keys=$3 i
  python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
    "$tracer" collect -p "$ROOKERY_PID" --profile dotnet-sampled-thread-time -o "$RESULTS/rookery-$name.nettrace" </dev/null >"$TMP/trace-$name.out" 2>&1 &
  TRACE_PID=$!
  for ((i = 0; i < 100; i++)); do grep -q 'Recording trace' "$TMP/trace-$name.out" 2>/dev/null && break; sleep 0.1; done
  load login --port "$ROOKERY_PORT" --password pw --clients "$c" --keys "$K/$keys" --label "$name" --output "$TMP/trace-$name.tsv" >/dev/null 2>"$TMP/client.err" ||
    warn "traced $name pass: $(tail -n 1 "$TMP/client.err")"
  kill -INT "$TRACE_PID" 2>/dev/null
  wait "$TRACE_PID" || warn "dotnet-trace failed: $(tail -n 3 "$TMP/trace-$name.out")"
  TRACE_PID=""
  { echo "# $(awk -F'\t' 'NR == 2 { print $3 " logins, " $6 "/s, p50 " $7 " ms" }' "$TMP/trace-$name.tsv") under the profiler; exclusive:"
    "$tracer" report "$RESULTS/rookery-$name.nettrace" topN -n 30
    echo; echo "# inclusive:"; "$tracer" report "$RESULTS/rookery-$name.nettrace" topN -n 80 --inclusive; } >"$RESULTS/rookery-$name-top.txt" 2>&1 || true
  say "  $name: $(head -n 1 "$RESULTS/rookery-$name-top.txt"); top methods in $RESULTS/rookery-$name-top.txt"
}
if (( TRACE )); then
  tracer=$(command -v dotnet-trace || echo "$HOME/.dotnet/tools/dotnet-trace")
  [[ -x $tracer ]] || die "--trace: dotnet-trace not found (dotnet tool install -g dotnet-trace)"
  c=$(awk '{ print $NF }' <<<"$LEVELS")
  say "profiling Rookery (dotnet-trace, sampled thread time): a cold and a warm login pass of $USERS more users, $c clients"
  trace_pass logins-cold "$c" logins-trace
  trace_pass logins-warm "$c" logins-trace
fi

# ----------------------------------------------------------------- report ---
LOADAVG_END=$(cut -d' ' -f1-3 /proc/loadavg)
col() {  # col KIND SERVER CACHE CLIENTS KEYS-PATTERN COLUMN: that pass's value (first match)
  awk -F'\t' -v a="$1" -v b="$2" -v c="$3" -v d="$4" -v e="$5" -v col="$6" 'NR > 1 && $1 == a && $2 == b && $3 == c && $4 == d && $5 ~ e { print $col; exit }' "$TMP/runs.tsv"
}
per_op() {  # CPU ms per operation: column $7 (server 14, slapd 15) over count
  awk -F'\t' -v a="$1" -v b="$2" -v c="$3" -v d="$4" -v e="$5" -v col="$6" 'NR > 1 && $1 == a && $2 == b && $3 == c && $4 == d && $5 ~ e { printf "%.2f", ($6 ? 1000 * $col / $6 : 0); exit }' "$TMP/runs.tsv"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
{
  echo
  echo "LDAP logins and lookups, $(date '+%Y-%m-%d %H:%M'), $(nproc) cores, $(. /etc/os-release && echo "$PRETTY_NAME"), load average $LOADAVG_START at the start, $LOADAVG_END at the end;"
  echo "Rookery $(git -C "$ROOT" rev-parse --short HEAD) on .NET $DOTNET_VERSION (user_plugin = ldap, bind login, ldap_cache_timeout 300, ldap_pool_size 10, SQLite);"
  echo "Dovecot $DOVECOT_VERSION (LDAP passdb auth_bind = yes + LDAP userdb, auth_cache_size = 10M, $( ((DOVECOT_DEFAULTS)) && echo 'default process settings' || echo 'login and imap processes reused')); slapd $SLAPD_VERSION (mdb); Postfix $POSTFIX_VERSION;"
  echo "$USERS users per login pass (a fresh block per client count), $WARMUP warm-up users x 10 before each pass; one LOGIN per connection (connect, greeting, LOGIN, LOGOUT)."
  echo
  echo "| clients | cache | Rookery logins/s | Dovecot logins/s | ratio R/D | Rookery p50 / p99 ms | Dovecot p50 / p99 ms | Rookery CPU ms/login | Dovecot CPU ms/login | slapd CPU ms/login (R / D) | others, cores (R / D) |"
  echo "|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
  k=0
  for c in $LEVELS; do
    for cache in cold warm; do
      rk=$(col login rookery "$cache" "$c" "^logins-$k\$" 9); dv=$(col login dovecot "$cache" "$c" "^logins-$k\$" 9)
      printf '| %s | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s | %s / %s | %s / %s |
' "$c" "$cache" "$rk" "$dv" "$(ratio "$rk" "$dv")"         "$(col login rookery "$cache" "$c" "^logins-$k\$" 10)" "$(col login rookery "$cache" "$c" "^logins-$k\$" 12)"         "$(col login dovecot "$cache" "$c" "^logins-$k\$" 10)" "$(col login dovecot "$cache" "$c" "^logins-$k\$" 12)"         "$(per_op login rookery "$cache" "$c" "^logins-$k\$" 14)" "$(per_op login dovecot "$cache" "$c" "^logins-$k\$" 14)"         "$(per_op login rookery "$cache" "$c" "^logins-$k\$" 15)" "$(per_op login dovecot "$cache" "$c" "^logins-$k\$" 15)"         "$(col login rookery "$cache" "$c" "^logins-$k\$" 17)" "$(col login dovecot "$cache" "$c" "^logins-$k\$" 17)"
    done
    k=$((k + 1))
  done
  echo
  echo "Lookups: Rookery's socketmap (\`mailbox\`) against deploy/postfix/ldap-users.cf's search on one LDAP connection per client ($LOOKUPS addresses per pass)."
  echo
  echo "| connections | addresses | cache | socketmap lookups/s | LDAP lookups/s | ratio S/L | socketmap p50 / p99 ms | LDAP p50 / p99 ms | Rookery CPU ms/lookup | slapd CPU ms/lookup (S / L) | others, cores (S / L) |"
  echo "|--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"
  for c in $MAP_LEVELS; do
    for keys in known-a unknown-a; do
      for cache in cold warm; do
        sm=$(col map rookery "$cache" "$c" "^$keys\$" 9); [[ -n $sm ]] || continue
        ld=$(col map ldap "$cache" "$c" "^$keys\$" 9)
        printf '| %s | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s / %s | %s / %s |
' "$c" "${keys%-a}" "$cache" "$sm" "$ld" "$(ratio "$sm" "$ld")"           "$(col map rookery "$cache" "$c" "^$keys\$" 10)" "$(col map rookery "$cache" "$c" "^$keys\$" 12)"           "$(col map ldap "$cache" "$c" "^$keys\$" 10)" "$(col map ldap "$cache" "$c" "^$keys\$" 12)"           "$(per_op map rookery "$cache" "$c" "^$keys\$" 14)"           "$(per_op map rookery "$cache" "$c" "^$keys\$" 15)" "$(per_op map ldap "$cache" "$c" "^$keys\$" 15)"           "$(col map rookery "$cache" "$c" "^$keys\$" 17)" "$(col map ldap "$cache" "$c" "^$keys\$" 17)"
      done
    done
  done
  echo
  echo "The same with Postfix's own client (\`postmap -q -\`, one process and connection, $LOOKUPS other addresses): lookups/s and mean ms per lookup."
  echo
  echo "| addresses | cache | socketmap lookups/s | ldap:ldap-users.cf lookups/s | ratio S/L | socketmap mean ms | LDAP mean ms |"
  echo "|---|---|--:|--:|--:|--:|--:|"
  for keys in known-b unknown-b; do
    for cache in cold warm; do
      sm=$(awk -F'\t' -v k="$keys" -v c="$cache" '$1 == "socketmap" && $2 == c && $3 == k { print $7 }' "$TMP/postmap.tsv")
      ld=$(awk -F'\t' -v k="$keys" -v c="$cache" '$1 == "ldap" && $2 == c && $3 == k { print $7 }' "$TMP/postmap.tsv")
      printf '| %s | %s | %s | %s | %s | %s | %s |
' "${keys%-b}" "$cache" "$sm" "$ld" "$(ratio "$sm" "$ld")"         "$(awk -F'\t' -v k="$keys" -v c="$cache" '$1 == "socketmap" && $2 == c && $3 == k { print $8 }' "$TMP/postmap.tsv")"         "$(awk -F'\t' -v k="$keys" -v c="$cache" '$1 == "ldap" && $2 == c && $3 == k { print $8 }' "$TMP/postmap.tsv")"
    done
  done
  echo
  echo "CPU ms: the process's own user + system CPU in the measured window per operation (Dovecot: master, its processes and the ones"
  echo "it reaped); slapd's CPU is what the logins or lookups cost the directory. "others": cores used by other processes meanwhile."
} | tee "$RESULTS/summary.md"

report_end "passes had errors"
