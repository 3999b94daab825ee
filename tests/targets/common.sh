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
