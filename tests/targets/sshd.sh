#!/usr/bin/env bash
# A real OpenSSH server on loopback that plays "another machine" for tests of
# SSH targets. See README.md beside this file.
#
#   sshd.sh up     install what is missing, create the user and keys, start sshd
#                  (idempotent; a warm `up` only checks that a login works)
#   sshd.sh down   stop that sshd and end the sessions it is serving
#   sshd.sh env    print `export ...` lines for tests: eval "$(sshd.sh env)"
#   sshd.sh status exit 0 when a login works, 1 otherwise
#
# Knobs (environment):
#   DEVLOOP_SSH_PORT       port on 127.0.0.1 (default 2222)
#   DEVLOOP_TARGETS_STATE  state root (default /var/tmp/devloop-targets);
#                          this script keeps its files in $DEVLOOP_TARGETS_STATE/ssh
#
# Nothing here listens anywhere but 127.0.0.1, and nothing is sent off the
# machine: the only network use is apt-get, and only when a package is missing.
set -euo pipefail

PORT="${DEVLOOP_SSH_PORT:-2222}"
STATE_ROOT="${DEVLOOP_TARGETS_STATE:-/var/tmp/devloop-targets}"
STATE="$STATE_ROOT/ssh"
REMOTE_USER=devloop-remote
REMOTE_HOME=/home/devloop-remote
ALIAS=devloop-target

SSHD_CONFIG="$STATE/sshd_config"
SSH_CONFIG="$STATE/ssh_config"
KNOWN_HOSTS="$STATE/known_hosts"
CLIENT_KEY="$STATE/id_ed25519"
HOST_KEY="$STATE/ssh_host_ed25519_key"
PID_FILE="$STATE/sshd.pid"
LOG_FILE="$STATE/sshd.log"

SCRIPT=sshd.sh
KIND=ssh
# shellcheck source=tests/targets/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

case "$PORT" in
  '' | *[!0-9]*) die "DEVLOOP_SSH_PORT must be a port number, got '$PORT'" ;;
esac

install_missing() {
  local want=()
  [ -x /usr/sbin/sshd ] || want+=(openssh-server)
  command -v ssh >/dev/null 2>&1 || want+=(openssh-client)
  command -v ssh-keygen >/dev/null 2>&1 || want+=(openssh-client)
  command -v rsync >/dev/null 2>&1 || want+=(rsync)
  [ "${#want[@]}" = 0 ] || apt_install "${want[@]}"
}

ensure_user() {
  if ! id -u "$REMOTE_USER" >/dev/null 2>&1; then
    say "creating user $REMOTE_USER"
    useradd --create-home --home-dir "$REMOTE_HOME" --shell /bin/bash \
      --comment "devloop test SSH target" "$REMOTE_USER"
  fi
  # A '!' password (useradd's default) makes sshd with UsePAM=no refuse the
  # account as locked; '*' means "no password can match" but not locked.
  if [ "$(getent shadow "$REMOTE_USER" | cut -d: -f2)" != '*' ]; then
    usermod --password '*' "$REMOTE_USER"
  fi
  local home
  home="$(getent passwd "$REMOTE_USER" | cut -d: -f6)"
  [ "$home" = "$REMOTE_HOME" ] || die "user $REMOTE_USER exists with home $home, expected $REMOTE_HOME"
  mkdir -p "$REMOTE_HOME"
  chown "$REMOTE_USER:" "$REMOTE_HOME"
  chmod 755 "$REMOTE_HOME"
  install -d -m 700 -o "$REMOTE_USER" -g "$(id -gn "$REMOTE_USER")" "$REMOTE_HOME/.ssh"
}

ensure_keys() {
  [ -f "$CLIENT_KEY" ] || ssh-keygen -q -t ed25519 -N '' -C "devloop-targets-client" -f "$CLIENT_KEY"
  [ -f "$HOST_KEY" ] || ssh-keygen -q -t ed25519 -N '' -C "devloop-targets-host" -f "$HOST_KEY"
  chmod 600 "$CLIENT_KEY" "$HOST_KEY"
  local ak="$REMOTE_HOME/.ssh/authorized_keys"
  if ! cmp -s "$CLIENT_KEY.pub" "$ak" 2>/dev/null; then
    install -m 600 -o "$REMOTE_USER" -g "$(id -gn "$REMOTE_USER")" "$CLIENT_KEY.pub" "$ak"
  fi
}

write_configs() {
  write_if_changed "$SSHD_CONFIG" <<EOF
# Written by devloop tests/targets/sshd.sh; rewritten by every 'up'.
Port $PORT
ListenAddress 127.0.0.1
AddressFamily inet
HostKey $HOST_KEY
PidFile $PID_FILE
AuthorizedKeysFile .ssh/authorized_keys
AllowUsers $REMOTE_USER
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
HostbasedAuthentication no
UsePAM no
StrictModes yes
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
PermitTunnel no
UseDNS no
AcceptEnv LANG LC_*
# Tests open many connections at once (and may multiplex): the defaults
# (MaxStartups 10:30:100, MaxSessions 10) would refuse some at random.
MaxStartups 200
MaxSessions 100
LoginGraceTime 30
Subsystem sftp internal-sftp
LogLevel INFO
EOF
  write_if_changed "$SSH_CONFIG" <<EOF
# Written by devloop tests/targets/sshd.sh. Use: ssh -F $SSH_CONFIG $ALIAS
Host $ALIAS
  HostName 127.0.0.1
  Port $PORT
  User $REMOTE_USER
  IdentityFile $CLIENT_KEY
  IdentitiesOnly yes
  UserKnownHostsFile $KNOWN_HOSTS
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  CheckHostIP no
  UpdateHostKeys no
  BatchMode yes
  PasswordAuthentication no
  KbdInteractiveAuthentication no
  ConnectTimeout 10
  ServerAliveInterval 5
  ServerAliveCountMax 3
  LogLevel ERROR
EOF
  # The host key under the names a client may use: the alias (for
  # HostKeyAlias users) and [127.0.0.1]:PORT / [localhost]:PORT (what ssh
  # looks up for HostName 127.0.0.1 with a non-22 port).
  write_if_changed "$KNOWN_HOSTS" <<EOF
$ALIAS,[127.0.0.1]:$PORT,[localhost]:$PORT $(cut -d' ' -f1,2 "$HOST_KEY.pub")
EOF
}


# pid of our listener when it runs, else nothing.
listener_pid() { running_pid "$PID_FILE" "$SSHD_CONFIG"; }

login_works() {
  ssh -F "$SSH_CONFIG" -o ConnectTimeout=5 "$ALIAS" true </dev/null >/dev/null 2>&1
}

# pids whose parent is $1 (by id, from /proc)
children_of() {
  local p rest ppid
  for p in /proc/[0-9]*; do
    rest="$(cat "$p/stat" 2>/dev/null)" || continue
    rest="${rest##*) }" # fields after the command name: state ppid ...
    read -r _ ppid _ <<<"$rest"
    if [ "$ppid" = "$1" ]; then echo "${p#/proc/}"; fi
  done
}

stop_sshd() {
  local pid kids
  pid="$(listener_pid)"
  if [ -z "$pid" ]; then
    rm -f "$PID_FILE"
    return 0
  fi
  # The per-connection sshd processes are children of the listener; end
  # them too, as the machine "going away" would.
  kids="$(children_of "$pid")"
  kill -TERM "$pid" 2>/dev/null || true
  # shellcheck disable=SC2086
  [ -z "$kids" ] || kill -TERM $kids 2>/dev/null || true
  local i
  for i in $(seq 50); do
    alive "$pid" || break
    sleep 0.05
  done
  if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$PID_FILE"
  say "stopped sshd (pid $pid)"
}

start_sshd() {
  # sshd's privilege separation needs this directory (normally made by the
  # init system).
  mkdir -p /run/sshd
  chmod 755 /run/sshd
  /usr/sbin/sshd -t -f "$SSHD_CONFIG" || die "sshd rejects $SSHD_CONFIG (see above)"
  : >>"$LOG_FILE"
  local log_from
  log_from=$(($(wc -c <"$LOG_FILE") + 1))
  # sshd forks into the background by itself (and closes its stdio).
  /usr/sbin/sshd -f "$SSHD_CONFIG" -E "$LOG_FILE" </dev/null >/dev/null 2>&1 9>&- || true
  local i
  for i in $(seq 100); do
    if login_works; then
      say "sshd up on 127.0.0.1:$PORT (pid $(listener_pid))"
      return 0
    fi
    if [ "$i" -ge 10 ] && [ -z "$(listener_pid)" ]; then
      tail -c +"$log_from" "$LOG_FILE" >&2
      die "sshd did not stay up on 127.0.0.1:$PORT (port taken? set DEVLOOP_SSH_PORT); log: $LOG_FILE"
    fi
    sleep 0.05
  done
  tail -c +"$log_from" "$LOG_FILE" >&2
  ssh -F "$SSH_CONFIG" -v "$ALIAS" true </dev/null 2>&1 | tail -n 15 >&2 || true
  die "sshd runs but 'ssh -F $SSH_CONFIG $ALIAS true' fails; log: $LOG_FILE"
}

cmd_up() {
  if [ "$(id -u)" != 0 ] && [ -n "$(listener_pid)" ]; then
    say "sshd already up on 127.0.0.1:$PORT (not root: only its pid was checked)"
    return 0
  fi
  need_root up "sshd, its user and its keys are root's business"
  take_lock
  mkdir -p "$STATE"
  chmod 755 "$STATE_ROOT" "$STATE"
  install_missing
  ensure_user
  ensure_keys
  CHANGED=""
  write_configs
  local pid
  pid="$(listener_pid)"
  if [ -n "$pid" ] && [ -z "$CHANGED" ] && login_works; then
    say "sshd already up on 127.0.0.1:$PORT (pid $pid)"
    return 0
  fi
  [ -z "$pid" ] || stop_sshd
  start_sshd
}

cmd_env() {
  local q kv
  for kv in \
    "DEVLOOP_SSH_CONFIG=$SSH_CONFIG" \
    "DEVLOOP_SSH_HOST=$ALIAS" \
    "DEVLOOP_SSH_HOSTNAME=127.0.0.1" \
    "DEVLOOP_SSH_USER=$REMOTE_USER" \
    "DEVLOOP_SSH_PORT=$PORT" \
    "DEVLOOP_SSH_KEY=$CLIENT_KEY" \
    "DEVLOOP_SSH_KNOWN_HOSTS=$KNOWN_HOSTS" \
    "DEVLOOP_SSH_REMOTE_HOME=$REMOTE_HOME"; do
    printf -v q '%q' "${kv#*=}"
    echo "export ${kv%%=*}=$q"
  done
}

case "${1:-}" in
  up) cmd_up ;;
  down)
    need_root down "sshd, its user and its keys are root's business"
    take_lock
    stop_sshd
    ;;
  env) cmd_env ;;
  status)
    if [ -n "$(listener_pid)" ] && login_works; then
      echo "up: 127.0.0.1:$PORT pid $(listener_pid)"
    else
      echo "down"
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 up|down|env|status" >&2
    exit 2
    ;;
esac
