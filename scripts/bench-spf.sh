#!/usr/bin/env bash
# The cost of SPF in `bench classify`: a private unbound on 127.0.0.1 publishes SPF records for every sender domain
# of the corpus (`bench classify --spf-zone`: `v=spf1 a mx include:_spf.DOMAIN ~all`, five lookups a check), then
# `bench classify` runs without SPF and with it (`--spf-resolver`), alternated, ROUNDS times. With SPF, the timed
# passes run with a warm DNS cache and the first pass with a cold one (libunbound's cache is new each run; the
# server's answers come from its local zones). Needs Debian's unbound and a release build.
#
#   [DKIM=1] scripts/bench-spf.sh [CORPUS_DIR ...]      (default: ../shared/corpus/spamassassin)
#
# DKIM=1 checks the corpus's DKIM signatures too: every selector gets a 2048-bit key (the signatures fail against it,
# after the full check, which costs what a pass costs). DMARC=1 checks DMARC (every From domain publishes p=none) and
# ARC too: with DKIM=1, everything `serve` can check. RULES=FILE runs both with that rules file (docs/authentication.md
# measures with the shipped rules less SPF_FAIL and DKIM_FAIL, since the zone's keys fail every corpus signature).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${MAILSIFT_BIN:-.build/release/mailsift}
[ -x "$bin" ] || swift build -c release --product mailsift >&2
rounds=${ROUNDS:-3}
corpora=()
for c in "${@:-../shared/corpus/spamassassin}"; do corpora+=(--corpus "$c"); done
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
"$bin" bench classify "${corpora[@]}" --no-transformer --spf-zone "$work/zone"
{
  printf 'server:\n  interface: 127.0.0.1\n  port: %s\n  do-daemonize: no\n  chroot: ""\n  username: ""\n' "$port"
  printf '  directory: "%s"\n  pidfile: ""\n  use-syslog: no\n  logfile: ""\n  verbosity: 0\n  do-ip6: no\n' "$work"
  printf '  access-control: 127.0.0.0/8 allow\n  module-config: "iterator"\n'
  sed 's/^/  /' "$work/zone"
  printf 'remote-control:\n  control-enable: no\n'
} > "$work/unbound.conf"
/usr/sbin/unbound -d -c "$work/unbound.conf" &
dns=$!
trap 'kill $dns 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
kill -0 $dns 2>/dev/null || { echo "unbound did not start" >&2; exit 1; }
echo "zone: $(grep -c '^local-zone' "$work/zone") sender domains published on 127.0.0.1@$port"
for r in $(seq "$rounds"); do
  echo "round $r, without SPF:"
  "$bin" bench classify "${corpora[@]}" --no-transformer ${RULES:+--rules "$RULES"} | grep -E '^(classify|latency|decided)'
  echo "round $r, with SPF:"
  "$bin" bench classify "${corpora[@]}" --no-transformer ${RULES:+--rules "$RULES"} --spf-resolver "127.0.0.1@$port" ${DKIM:+--dkim} ${DMARC:+--dmarc} | grep -E '^(classify|latency|authentication|spf|dkim|dmarc|decided)'
done
