#!/usr/bin/env bash
# Runs a private Postfix instance on 127.0.0.1 whose smtpd sends every message through a milter, delivers
# messages to a mailbox file, and sends the given messages through it with swaks. Used by the milter test
# (Tests/MailsiftServerTests/MilterTests.swift); needs root and Debian's postfix and swaks.
#
#   scripts/postfix-milter-test.sh MILTER_PORT WORKDIR MESSAGE...
#
# For each MESSAGE it prints "SENT <file> <swaks exit status>" and swaks' last server reply; at the end the
# mailbox (WORKDIR/mailbox) and the hold queue's message ids (for quarantined mail) are left in WORKDIR for
# the caller to read, and Postfix is stopped.
set -euo pipefail
milter_port=$1; work=$2; shift 2
smtp_port=$((30000 + RANDOM % 20000))
conf="$work/etc"
mkdir -p "$conf" "$work/queue" "$work/data"
chown postfix:postfix "$work/data"
chmod 1777 "$work"
touch "$work/mailbox"; chmod 666 "$work/mailbox"

cat > "$conf/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $work/queue
data_directory = $work/data
mail_owner = postfix
myhostname = mailsift-test.localdomain
mydomain = localdomain
myorigin = \$myhostname
mydestination = localhost, \$myhostname
mynetworks = 127.0.0.0/8
inet_interfaces = loopback-only
inet_protocols = ipv4
alias_maps = hash:$conf/aliases
alias_database = hash:$conf/aliases
local_recipient_maps =
relayhost =
smtpd_milters = inet:127.0.0.1:$milter_port
non_smtpd_milters =
milter_protocol = 6
milter_default_action = tempfail
milter_connect_timeout = 60s
milter_command_timeout = 300s
milter_content_timeout = 300s
maillog_file = $work/postfix.log
maillog_file_prefixes = $work
smtputf8_enable = no
biff = no
CF
# Every service unchrooted (the private queue has no copies of /etc), smtpd on the test port.
sed -e 's/^\(smtp[[:space:]]\+inet[[:space:]]\+\)/#&/' /etc/postfix/master.cf \
  | awk 'BEGIN{OFS=" "} /^[a-z]/ && NF>=8 { $5="n" } { print }' > "$conf/master.cf"
echo "127.0.0.1:$smtp_port inet n - n - - smtpd" >> "$conf/master.cf"
echo "postlog unix-dgram n - n - 1 postlogd" >> "$conf/master.cf"
echo "test: $work/mailbox" > "$conf/aliases"
export MAIL_CONFIG="$conf"
postalias -c "$conf" "$conf/aliases"
postfix -c "$conf" check
postfix -c "$conf" start >/dev/null 2>&1
trap 'postfix -c "$conf" stop >/dev/null 2>&1 || true' EXIT
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break
  sleep 0.2
done
for message in "$@"; do
  set +e
  out=$(swaks --server "127.0.0.1:$smtp_port" --from sender@example.org --to test@localhost --data "$message" --timeout 300 2>&1)
  status=$?
  set -e
  echo "SENT $message $status"
  { grep -E '^<(-|\*\*) +[245][0-9][0-9] ' <<< "$out" || true; } | tail -2 | head -1 | sed 's/^/  /'
done
# Wait for the queue to drain (delivered or held).
for _ in $(seq 100); do
  active=$(find "$work/queue/incoming" "$work/queue/active" "$work/queue/deferred" -type f 2>/dev/null | wc -l)
  [ "$active" -eq 0 ] && break
  sleep 0.2
done
find "$work/queue/hold" -type f -printf '%f\n' 2>/dev/null | sed 's/^/HELD /'
