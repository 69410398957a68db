#!/usr/bin/env bash
# bench/compare/imaptest-build.sh — builds the imaptest that bench/compare/imaptest.sh prefers:
# Dovecot's imaptest at the commit of ../shared/tools/imaptest, with bench/compare/imaptest-checkpoint.patch,
# linked statically against the libraries of dovecot core at the same date, into .bench-tools/imaptest/.
#
#   bench/compare/imaptest-build.sh [--core DIR_OR_URL] [--imaptest DIR_OR_URL]
#
# The sources are git repositories (a clone, a mirror or a URL; defaults: the mirrors under /work/.mirror
# when present, else github). About 90 s on 2 cores, once.
#
# Why a patched imaptest: with checkpoint=N (its cross-session state check) and several mailboxes,
# imaptest's own bookkeeping asserts (checkpoint.c, checkpoint_neg: a client counted twice) against any
# server. The patch restarts, when one mailbox's checkpoint ends, only that mailbox's idle clients (not a
# client another mailbox's checkpoint still counts), and no client that has sent LOGOUT; it keeps the
# shared build's fix in client-state.c (seq_range_flags_ref). docs/performance.md has the story.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CORE_COMMIT=4305a7e16b55c385d774290d7f7b4fd20aadd21b
IMAPTEST_COMMIT=9d78895090071e24c27c912145ab72a480ba0e01
CORE=https://github.com/dovecot/core.git
IMAPTEST_SRC=https://github.com/dovecot/imaptest.git
[[ -d /work/.mirror/dovecot+core/repo ]] && CORE=/work/.mirror/dovecot+core/repo
[[ -d /work/.mirror/dovecot+imaptest/repo ]] && IMAPTEST_SRC=/work/.mirror/dovecot+imaptest/repo
while (($# > 0)); do
  case $1 in
    --core) CORE=$2; shift 2 ;;
    --imaptest) IMAPTEST_SRC=$2; shift 2 ;;
    *) echo "usage: bench/compare/imaptest-build.sh [--core DIR_OR_URL] [--imaptest DIR_OR_URL]" >&2; exit 2 ;;
  esac
done
OUT=$ROOT/.bench-tools/imaptest
SRC=$OUT/src
mkdir -p "$SRC"

missing=()
for p in build-essential autoconf automake libtool pkg-config gettext bison flex libssl-dev zlib1g-dev unicode-data bzip2; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

checkout() {  # checkout REPO COMMIT DIR: the commit alone (the mirror's default branch may not check out)
  [[ -d $3/.git ]] || git clone -q --no-checkout "$1" "$3"
  git -C "$3" checkout -q -f "$2"
  git -C "$3" clean -fdxq
}
# GCC 12 at -O2 turns an aliasing violation in dovecot core's str_to_uintmax() into a trap (imaptest dies
# parsing port=): build without strict aliasing, as the shared build was.
export CFLAGS="-g -O2 -fno-strict-aliasing"

checkout "$CORE" "$CORE_COMMIT" "$SRC/dovecot-core"
cd "$SRC/dovecot-core"
# src/lib/Makefile would download the Unicode data from dovecot.org: Debian's unicode-data has it
mkdir -p src/lib/ucd
for f in CaseFolding CompositionExclusions DerivedCoreProperties DerivedNormalizationProps PropertyValueAliases \
         PropList SpecialCasing UnicodeData; do cp "/usr/share/unicode/$f.txt" src/lib/ucd/; done
for f in GraphemeBreakProperty GraphemeBreakTest WordBreakProperty; do cp "/usr/share/unicode/auxiliary/$f.txt" src/lib/ucd/; done
cp /usr/share/unicode/emoji/emoji-data.txt src/lib/ucd/
bzcat /usr/share/unicode/NormalizationTest.txt.bz2 >src/lib/ucd/NormalizationTest.txt
./autogen.sh >/dev/null
./configure -q --without-shared-libs --enable-static --disable-shared --with-libunwind=no \
  --without-pam --without-bsdauth --without-gssapi --without-ldap --without-cdb --without-sql --without-pgsql \
  --without-mysql --without-sqlite --without-cassandra --without-stemmer --without-textcat --without-icu \
  --without-pcre2 --without-solr --without-flatcurve --without-sodium --without-bzlib --without-lz4 \
  --without-zstd --without-libcap --without-systemd --without-lua
make -s dovecot-version.h dovecot-config
# only the libraries imaptest links, without their unit-test programs
for d in lib-test lib lib-regex lib-var-expand lib-dns lib-settings lib-otp lib-auth lib-dns-client \
         lib-ssl-iostream lib-master lib-auth-client lib-login lib-charset lib-json lib-dcrypt lib-dict \
         lib-http lib-oauth2 lib-sasl lib-fs lib-mail lib-program-client lib-smtp lib-pop3 lib-imap \
         lib-doveadm lib-dict-extra lib-dovecot lib-compression; do
  make -s -j2 -C "src/$d" noinst_PROGRAMS= all >/dev/null
done

checkout "$IMAPTEST_SRC" "$IMAPTEST_COMMIT" "$SRC/imaptest"
cd "$SRC/imaptest"
patch -s -p1 <"$ROOT/bench/compare/imaptest-checkpoint.patch"
./autogen.sh >/dev/null
./configure -q --with-dovecot="$SRC/dovecot-core"
make -s -j2 >/dev/null
install -m 755 -s src/imaptest "$OUT/imaptest"
echo "built $OUT/imaptest (imaptest ${IMAPTEST_COMMIT:0:7} + imaptest-checkpoint.patch, dovecot core ${CORE_COMMIT:0:7})"
