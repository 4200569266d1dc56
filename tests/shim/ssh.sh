#!/bin/sh
# ssh.sh: an interactive ssh session under the shim survives moves.
#
# An sshd of the test's own (loopback port, host key, configuration and
# authorized_keys in the temp dir; no PAM) runs in the namespace; ssh,
# run through the migrate wrapper with a key made here, logs in as root
# through relayd on a pseudo-terminal driven by client.py ssh-pty, which
# types commands and reads their output: 10 times a command whose output
# comes after a move (typed, `migratectl migrate --all`, the answer read
# once the session has resumed), then one typed after the move; then
# `seq 1 200000 | sha256sum`; then `exit 0`.
#
# Checks: every answer arrives; ssh exits 0; the session moved 10 times
# (migratectl, during the session) and the engine closed it as done;
# sshd logged one accepted publickey login; relayd holds no session at
# the end.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/shim/lib.sh"

shim_init 150
require_cmd ssh ssh-keygen
[ -x /usr/sbin/sshd ] || fail "/usr/sbin/sshd is not installed (openssh-server)"
MOVES=10

set -- $(free_ports 1)
SPORT=$1
S=$T/ssh
mkdir -p "$S"
chmod 700 "$S"
timeout 30 ssh-keygen -q -t ed25519 -N '' -f "$S/host_ed25519" -C host >/dev/null ||
    fail "ssh-keygen (host key) failed"
timeout 30 ssh-keygen -q -t ed25519 -N '' -f "$S/id_ed25519" -C client >/dev/null ||
    fail "ssh-keygen (user key) failed"
cp "$S/id_ed25519.pub" "$S/authorized_keys"
cat > "$S/sshd_config" <<EOF
Port $SPORT
ListenAddress 127.0.0.1
HostKey $S/host_ed25519
PidFile $S/sshd.pid
AuthorizedKeysFile $S/authorized_keys
UsePAM no
PermitRootLogin yes
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
PrintMotd no
PrintLastLog no
LogLevel VERBOSE
EOF
# sshd's privilege separation directory (the openssh-server service
# makes it at boot; a container may not have it)
[ -d /run/sshd ] || mkdir -m 0755 -p /run/sshd
timeout 30 /usr/sbin/sshd -t -f "$S/sshd_config" || fail "sshd -t refuses the configuration"
nsx /usr/sbin/sshd -D -e -f "$S/sshd_config" > "$T/sshd.log" 2>&1 &
t_track $!
wait_for 20 "sshd to listen" nsx python3 -c \
    "import socket; socket.create_connection(('127.0.0.1', $SPORT))"

shim_relay <<EOF
allow 127.0.0.1 port $SPORT
EOF
engine_for_tests

SSH_TRANSCRIPT=$T/ssh-transcript.out
export SSH_TRANSCRIPT
# client.py drives ssh (which it runs as its child: it is under the shim
# too, harmlessly: it connects nowhere itself)
mig -r "127.0.0.1:$RELAY_PORT" timeout -k 5 120 \
    python3 "$CLIENT" ssh-pty "$MOVES" -- \
    ssh -tt -F /dev/null -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR \
    -o ConnectTimeout=20 -i "$S/id_ed25519" -p "$SPORT" root@127.0.0.1 \
    > "$T/ssh-pty.out" 2>"$T/ssh-pty.err" || {
	cat "$T/ssh-pty.out" "$T/ssh-pty.err" >&2
	fail "the ssh session failed"
}
cat "$T/ssh-pty.out"
say "the end of the terminal's transcript:"
{ tail -n 6 "$SSH_TRANSCRIPT"; echo; } | tr -d '\r' |
    sed 's/\x1b\[[?0-9;]*[a-zA-Z]//g; /^$/d; s/^/    /'
python3 - "$T/ssh-pty.out" "$MOVES" <<'EOF' || fail "ssh-pty result"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["ok"] and r["moves"] >= int(sys.argv[2]) and r["ssh_exit"] == 0, r
EOF

wait_for 10 "the engine to close ssh's session" \
    grep -q 'ssh\[[0-9]*\]: closed: ' "$SHIM_LOG"
grep 'ssh\[[0-9]*\]: closed: ' "$SHIM_LOG"
grep -q 'ssh\[[0-9]*\]: closed: done;' "$SHIM_LOG" ||
    fail "ssh's session did not end as done"
NRES=$(grep -c ': resumed (move ' "$SHIM_LOG" || :)
expect_ge "resumes in the engine's log" "$NRES" "$MOVES"
expect_eq "logins accepted by sshd" \
    "$(grep -c 'Accepted publickey for root from 127.0.0.1' "$T/sshd.log" || :)" 1
wait_for 10 "relayd to hold no session" stat_is sessions 0
expect_eq "relayd sessions_opened" "$(stat_get sessions_opened)" 1
expect_ge "relayd resumes_accepted" "$(stat_get resumes_accepted)" "$MOVES"
engine_stop
stop_relayd
shim_finish
