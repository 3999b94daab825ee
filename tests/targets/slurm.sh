#!/usr/bin/env bash
# A real single-node Slurm cluster (munged + slurmctld + slurmd, Debian's
# slurm-wlm 22.05) on loopback, for tests of Slurm targets. See README.md.
#
#   slurm.sh up     install what is missing, write the config, start the
#                   daemons, wait until the node takes jobs (idempotent; a warm
#                   `up` only checks)
#   slurm.sh down   cancel every job, stop slurmd, slurmctld and munged
#   slurm.sh env    print `export ...` lines for tests: eval "$(slurm.sh env)"
#   slurm.sh status exit 0 when the node takes jobs, 1 otherwise
#
# Knobs (environment):
#   DEVLOOP_TARGETS_STATE     state root (default /var/tmp/devloop-targets);
#                             this script keeps its files in .../slurm
#   DEVLOOP_SLURMCTLD_PORT    default 6817 (on 127.0.0.1 only)
#   DEVLOOP_SLURMD_PORT       default 6818 (on 127.0.0.1 only)
#   DEVLOOP_SLURM_PROCTRACK   cgroup | linuxproc | pgid (default: cgroup when a
#                             cgroup v1 freezer hierarchy is mounted, as on this
#                             VM, else linuxproc)
#
# What this VM needed (no systemd, hybrid cgroups, no DNS for the hostname):
# - Every daemon is started by hand; each forks into the background itself.
# - SlurmUser=root and SlurmdUser=root: no slurm-owned directories to set up.
# - munged runs as root with its own key, socket, pid and log under the state
#   dir (AuthInfo=socket=... tells Slurm where), so it can't clash with a
#   system munged.
# - SlurmctldHost=localhost(127.0.0.1) and NodeAddr=127.0.0.1: Slurm accepts
#   "localhost" as this host whatever `hostname` says, so the config does not
#   depend on the machine's name.
# - CommunicationParameters=NoInAddrAny,NoCtldInAddrAny: slurmctld and slurmd
#   bind 127.0.0.1 instead of 0.0.0.0.
# - proctrack/cgroup works with the cgroup v1 freezer this VM's init mounts
#   (CgroupPlugin=cgroup/v1 in cgroup.conf; Slurm 22.05's cgroup/v2 wants
#   systemd). It kills a job's whole process tree, daemonized and
#   setsid'd children included. proctrack/linuxproc also works but loses
#   processes that got reparented to PID 1 (they survive scancel).
# - TaskPlugin=task/none: no CPU binding or memory confinement.
# - No slurmdbd, so `sacct` alone fails ("accounting storage is disabled");
#   JobCompType=jobcomp/filetxt makes `sacct -c` (and the file) work. sacct -c
#   opens that file for writing, so it is made mode 666 for non-root users.
# - /etc/slurm/slurm.conf is made a symlink to this config when there is none:
#   without any config, Slurm's client tools try a DNS SRV lookup ("configless"
#   mode), and shells that don't carry SLURM_CONF (an ssh login) need it.
set -euo pipefail

STATE_ROOT="${DEVLOOP_TARGETS_STATE:-/var/tmp/devloop-targets}"
STATE="$STATE_ROOT/slurm"
CTLD_PORT="${DEVLOOP_SLURMCTLD_PORT:-6817}"
SLURMD_PORT="${DEVLOOP_SLURMD_PORT:-6818}"
NODE=devloop-node
PARTITION=debug
CLUSTER=devloop

CONF="$STATE/slurm.conf"
CGROUP_CONF="$STATE/cgroup.conf"
LOG_DIR="$STATE/log"
JOBCOMP="$LOG_DIR/jobcomp.txt"
MUNGE_DIR="$STATE/munge"
MUNGE_KEY="$MUNGE_DIR/munge.key"
MUNGE_SOCKET="$MUNGE_DIR/munge.socket"
MUNGE_PID="$MUNGE_DIR/munged.pid"
CTLD_PID="$STATE/slurmctld.pid"
SLURMD_PID="$STATE/slurmd.pid"
ETC_CONF=/etc/slurm/slurm.conf

export SLURM_CONF="$CONF"

SCRIPT=slurm.sh
KIND=slurm
# shellcheck source=tests/targets/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

for p in "$CTLD_PORT" "$SLURMD_PORT"; do
  case "$p" in '' | *[!0-9]*) die "ports must be numbers, got '$p'" ;; esac
done

install_missing() {
  if [ -x /usr/sbin/slurmctld ] && [ -x /usr/sbin/slurmd ] && command -v sbatch >/dev/null 2>&1 &&
    [ -x /usr/sbin/munged ] && [ -x /usr/sbin/mungekey ] && command -v munge >/dev/null 2>&1; then
    return 0
  fi
  # slurm-wlm = slurmctld + slurmd + slurm-client; recommends would add ~30
  # optional plugin packages that nothing here uses.
  apt_install slurm-wlm munge
}


munged_pid() { running_pid "$MUNGE_PID" "$MUNGE_SOCKET"; }
ctld_pid() { running_pid "$CTLD_PID" "$CONF"; }
slurmd_pid() { running_pid "$SLURMD_PID" "$CONF"; }

stop_pid() { # NAME PID
  local i
  kill -TERM "$2" 2>/dev/null || true
  for i in $(seq 200); do
    alive "$2" || break
    sleep 0.05
  done
  if alive "$2"; then
    say "$1 (pid $2) ignored SIGTERM for 10 s; killing it"
    kill -KILL "$2" 2>/dev/null || true
  fi
  say "stopped $1 (pid $2)"
}

munge_works() {
  munge -S "$MUNGE_SOCKET" -n 2>/dev/null | unmunge -S "$MUNGE_SOCKET" >/dev/null 2>&1
}

ensure_munged() {
  mkdir -p "$MUNGE_DIR"
  chmod 755 "$MUNGE_DIR" # the socket must be reachable by every job user
  if [ ! -f "$MUNGE_KEY" ]; then
    mungekey --create --keyfile="$MUNGE_KEY"
  fi
  chmod 600 "$MUNGE_KEY"
  if [ -n "$(munged_pid)" ] && munge_works; then
    return 0
  fi
  local pid
  pid="$(munged_pid)"
  [ -z "$pid" ] || stop_pid munged "$pid"
  rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
  /usr/sbin/munged --key-file="$MUNGE_KEY" --socket="$MUNGE_SOCKET" \
    --pid-file="$MUNGE_PID" --log-file="$LOG_DIR/munged.log" \
    --seed-file="$MUNGE_DIR/munged.seed" </dev/null >>"$LOG_DIR/munged.out" 2>&1 9>&- ||
    {
      tail -n 5 "$LOG_DIR/munged.out" "$LOG_DIR/munged.log" >&2 || true
      die "munged did not start; log: $LOG_DIR/munged.log"
    }
  local i
  for i in $(seq 100); do
    munge_works && return 0
    sleep 0.05
  done
  tail -n 5 "$LOG_DIR/munged.log" >&2 || true
  die "munged runs but munge/unmunge through $MUNGE_SOCKET fails; log: $LOG_DIR/munged.log"
}

pick_proctrack() {
  case "${DEVLOOP_SLURM_PROCTRACK:-}" in
    cgroup | linuxproc | pgid) echo "$DEVLOOP_SLURM_PROCTRACK" ;;
    '')
      if awk '$2 == "/sys/fs/cgroup/freezer" && $3 == "cgroup" && $4 ~ /(^|,)freezer(,|$)/ { ok = 1 } END { exit !ok }' /proc/mounts &&
        [ -w /sys/fs/cgroup/freezer ]; then
        echo cgroup
      else
        echo linuxproc
      fi
      ;;
    *) die "DEVLOOP_SLURM_PROCTRACK must be cgroup, linuxproc or pgid, got '$DEVLOOP_SLURM_PROCTRACK'" ;;
  esac
}

# Writes slurm.conf (and cgroup.conf); sets CHANGED=1 when either changed.
write_configs() {
  local hw proctrack
  # "NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2
  #  ThreadsPerCore=1 RealMemory=24105": keep everything after the name.
  hw="$(/usr/sbin/slurmd -C | head -n 1)" || die "'slurmd -C' failed"
  hw="${hw#NodeName=* }"
  case "$hw" in *CPUs=*RealMemory=*) ;; *) die "unexpected 'slurmd -C' output: $hw" ;; esac
  proctrack="$(pick_proctrack)"
  write_if_changed "$CONF" <<EOF
# Written by devloop tests/targets/slurm.sh; rewritten by every 'up'.
# One node, everything on 127.0.0.1, daemons as root. See the notes at the
# top of slurm.sh for why each unusual setting is here.
ClusterName=$CLUSTER
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
ProctrackType=proctrack/$proctrack
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
SlurmdTimeout=30
SlurmctldTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=3600
PropagateResourceLimits=NONE
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$JOBCOMP
NodeName=$NODE NodeHostname=localhost NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
  if [ "$proctrack" = cgroup ]; then
    write_if_changed "$CGROUP_CONF" <<EOF
# Written by devloop tests/targets/slurm.sh. Only proctrack uses cgroups here
# (the freezer of the cgroup v1 hierarchy this VM mounts); nothing is confined.
CgroupPlugin=cgroup/v1
CgroupMountpoint=/sys/fs/cgroup
CgroupAutomount=no
ConstrainCores=no
ConstrainRAMSpace=no
ConstrainSwapSpace=no
ConstrainDevices=no
EOF
  elif [ -e "$CGROUP_CONF" ]; then
    rm -f "$CGROUP_CONF"
    CHANGED=1
  fi
}

link_etc_conf() {
  mkdir -p /etc/slurm
  if [ -L "$ETC_CONF" ] || [ ! -e "$ETC_CONF" ]; then
    if [ "$(readlink "$ETC_CONF" 2>/dev/null || true)" != "$CONF" ]; then
      ln -sfn "$CONF" "$ETC_CONF"
    fi
  else
    say "warning: $ETC_CONF exists and is not ours; shells without SLURM_CONF=$CONF will use it"
  fi
}

node_state() {
  sinfo -h -n "$NODE" -o '%T' 2>/dev/null | head -n 1
}

# The node takes jobs: idle, mixed, allocated or completing, and responding
# (Slurm appends '*' to a state when the node does not respond).
node_ok() {
  case "$(node_state)" in
    idle | mixed | allocated | completing) return 0 ;;
    *) return 1 ;;
  esac
}

show_logs() {
  local f
  for f in "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log"; do
    [ -f "$f" ] || continue
    echo "--- last lines of $f" >&2
    grep -v 'pmix' "$f" | tail -n 8 >&2 || true
  done
}

start_ctld() {
  # -i: ignore unreadable state files rather than refuse to start.
  /usr/sbin/slurmctld -i -f "$CONF" </dev/null >>"$LOG_DIR/slurmctld.out" 2>&1 9>&- ||
    {
      show_logs
      die "slurmctld did not start"
    }
  local i
  for i in $(seq 200); do
    scontrol ping >/dev/null 2>&1 && return 0
    if [ "$i" -ge 20 ] && [ -z "$(ctld_pid)" ]; then
      show_logs
      die "slurmctld exited (port $CTLD_PORT taken? set DEVLOOP_SLURMCTLD_PORT); log: $LOG_DIR/slurmctld.log"
    fi
    sleep 0.05
  done
  show_logs
  die "slurmctld does not answer 'scontrol ping' after 10 s; log: $LOG_DIR/slurmctld.log"
}

SLURMD_STARTED_AT=0
start_slurmd() {
  SLURMD_STARTED_AT="$(date +%s)"
  /usr/sbin/slurmd -f "$CONF" -N "$NODE" </dev/null >>"$LOG_DIR/slurmd.out" 2>&1 9>&- ||
    {
      show_logs
      die "slurmd did not start"
    }
}

# true once the slurmd started by start_slurmd has registered with slurmctld
# (until then sinfo may show the node state saved before a restart).
slurmd_registered() {
  local t
  t="$(scontrol show node "$NODE" -o 2>/dev/null | tr ' ' '\n' | sed -n 's/^SlurmdStartTime=//p')"
  case "$t" in '' | None | Unknown) return 1 ;; esac
  t="$(date -d "$t" +%s 2>/dev/null)" || return 1
  [ "$t" -ge $((SLURMD_STARTED_AT - 1)) ]
}

wait_node_ok() {
  local i state
  for i in $(seq 300); do
    node_ok && slurmd_registered && return 0
    state="$(node_state)"
    case "$state" in
      down* | drain* | fail*)
        # ReturnToService=2 brings a node back when slurmd registers; a node
        # that a test (or a crash) set DOWN/DRAIN needs an explicit resume.
        if [ -n "$(slurmd_pid)" ] && [ $((i % 20)) = 5 ]; then
          scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true
        fi
        ;;
    esac
    if [ "$i" -ge 40 ] && [ -z "$(slurmd_pid)" ]; then
      show_logs
      die "slurmd exited (port $SLURMD_PORT taken? set DEVLOOP_SLURMD_PORT); log: $LOG_DIR/slurmd.log"
    fi
    sleep 0.1
  done
  show_logs
  die "node $NODE is '$(node_state)' after 30 s, not idle; see 'scontrol show node $NODE'"
}

stop_daemons() {
  local pid
  pid="$(slurmd_pid)"
  [ -z "$pid" ] || stop_pid slurmd "$pid"
  pid="$(ctld_pid)"
  [ -z "$pid" ] || stop_pid slurmctld "$pid"
  rm -f "$SLURMD_PID" "$CTLD_PID"
}

cmd_up() {
  if [ "$(id -u)" != 0 ] && [ -n "$(ctld_pid)" ] && [ -n "$(slurmd_pid)" ] && node_ok; then
    say "already up: node $NODE ($(node_state)) (not root: nothing checked beyond that)"
    return 0
  fi
  need_root up "the Slurm daemons run as root"
  take_lock
  mkdir -p "$STATE" "$STATE/ctld" "$STATE/spool" "$LOG_DIR"
  chmod 755 "$STATE_ROOT" "$STATE" "$LOG_DIR"
  # `sacct -c` opens the jobcomp file for writing even to read it, so every
  # job user (devloop-remote too) needs write access for sacct to work.
  [ -e "$JOBCOMP" ] || : >"$JOBCOMP"
  chmod 666 "$JOBCOMP"
  install_missing
  ensure_munged
  CHANGED=""
  write_configs
  link_etc_conf
  if [ -n "$CHANGED" ] && { [ -n "$(ctld_pid)" ] || [ -n "$(slurmd_pid)" ]; }; then
    say "config changed: restarting slurmctld and slurmd"
    stop_daemons
  fi
  local started=""
  if [ -z "$(ctld_pid)" ]; then
    start_ctld
    started=1
  elif ! scontrol ping >/dev/null 2>&1; then
    stop_pid slurmctld "$(ctld_pid)"
    start_ctld
    started=1
  fi
  if [ -z "$(slurmd_pid)" ]; then
    start_slurmd
    started=1
  fi
  wait_node_ok
  if [ -n "$started" ]; then
    say "up: node $NODE ($(node_state)) in partition $PARTITION; SLURM_CONF=$CONF"
  else
    say "already up: node $NODE ($(node_state)); SLURM_CONF=$CONF"
  fi
}

cmd_down() {
  need_root down "the Slurm daemons run as root"
  take_lock
  if [ -n "$(ctld_pid)" ] && scontrol ping >/dev/null 2>&1; then
    local jobs i
    jobs="$(squeue -h -o '%i' 2>/dev/null || true)"
    if [ -n "$jobs" ]; then
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null || true
      for i in $(seq 200); do
        [ -z "$(squeue -h -o '%i' 2>/dev/null || true)" ] && break
        sleep 0.1
      done
      say "cancelled job(s): $(tr "\n" " " <<<"$jobs")"
    fi
  fi
  stop_daemons
  local pid
  pid="$(munged_pid)"
  [ -z "$pid" ] || stop_pid munged "$pid"
}

conf_value() { # KEY from slurm.conf's node line or elsewhere, e.g. CPUs
  [ -f "$CONF" ] || return 0
  tr ' ' '\n' <"$CONF" | sed -n "s/^$1=//p" | head -n 1
}

cmd_env() {
  local q kv
  for kv in \
    "SLURM_CONF=$CONF" \
    "DEVLOOP_SLURM_PARTITION=$PARTITION" \
    "DEVLOOP_SLURM_NODE=$NODE" \
    "DEVLOOP_SLURM_CPUS=$(conf_value CPUs)" \
    "DEVLOOP_SLURM_MEMORY_MB=$(conf_value RealMemory)" \
    "DEVLOOP_SLURM_JOBCOMP=$JOBCOMP" \
    "DEVLOOP_SLURM_LOG_DIR=$LOG_DIR"; do
    printf -v q '%q' "${kv#*=}"
    echo "export ${kv%%=*}=$q"
  done
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  env) cmd_env ;;
  status)
    if [ -n "$(ctld_pid)" ] && [ -n "$(slurmd_pid)" ] && node_ok; then
      echo "up: node $NODE $(node_state)"
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
