# shellcheck shell=bash
# What sshd.sh and slurm.sh share; sourced after each sets SCRIPT (its name
# in messages), KIND (ssh or slurm: the name of its lock and install log)
# and STATE_ROOT.

die() {
  echo "$SCRIPT: error: $*" >&2
  exit 1
}
say() { echo "$SCRIPT: $*" >&2; }

# One `up`/`down` at a time (tests running in parallel may all call `up`).
take_lock() {
  mkdir -p "$STATE_ROOT"
  exec 9>>"$STATE_ROOT/$KIND.lock"
  flock -w 120 9 || die "another '$0' has held $STATE_ROOT/$KIND.lock for 120 s"
}

# need_root WHAT WHY
need_root() {
  [ "$(id -u)" = 0 ] || die "'$1' must run as root ($2)"
}

# apt-get install, without letting a package's postinst start its own daemon
# (openssh-server would otherwise start a system sshd on 0.0.0.0:22 wherever
# invoke-rc.d is allowed to). Both scripts' installs take the same lock, so
# they never race on policy-rc.d.
apt_install() {
  mkdir -p "$STATE_ROOT"
  exec 8>>"$STATE_ROOT/apt.lock"
  flock -w 600 8 || die "another install has held $STATE_ROOT/apt.lock for 600 s"
  local policy=/usr/sbin/policy-rc.d made_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# devloop tests/targets: no daemon starts during install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
  fi
  say "installing $* (apt-get)"
  local rc=0
  {
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq &&
      apt-get install -y -qq --no-install-recommends "$@"
  } >"$STATE_ROOT/apt-$KIND.log" 2>&1 || rc=$?
  [ -z "$made_policy" ] || rm -f "$policy"
  flock -u 8
  if [ "$rc" != 0 ]; then
    tail -n 20 "$STATE_ROOT/apt-$KIND.log" >&2
    die "apt-get install $* failed (full log: $STATE_ROOT/apt-$KIND.log)"
  fi
}

# Writes $1 from stdin only when its content changes, and then sets CHANGED=1
# (read by the script that sourced this file).
# shellcheck disable=SC2034
CHANGED=""
write_if_changed() {
  local tmp
  tmp="$(mktemp "$1.XXXXXX")"
  cat >"$tmp"
  chmod 644 "$tmp"
  if cmp -s "$tmp" "$1" 2>/dev/null; then
    rm -f "$tmp"
  else
    mv -f "$tmp" "$1"
    CHANGED=1
  fi
}

# alive PID: the process exists and is not a zombie.
alive() {
  local rest
  rest="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  rest="${rest##*) }"
  [ "${rest%% *}" != Z ]
}

# running_pid PIDFILE NEEDLE: the pid from PIDFILE when that process is alive
# and its command line contains NEEDLE (so a recycled pid is not taken for ours).
running_pid() {
  local pid
  [ -f "$1" ] || return 0
  pid="$(cat "$1" 2>/dev/null || true)"
  case "$pid" in '' | *[!0-9]*) return 0 ;; esac
  alive "$pid" || return 0
  if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$2"; then
    echo "$pid"
  fi
}
