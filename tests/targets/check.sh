#!/usr/bin/env bash
# Checks that the test targets behave as README.md says: brings both up (idempotent),
# then exercises the SSH host and the Slurm cluster for real.
#
#   check.sh          ~25 s
#   check.sh --slow   also the time-limit checks (--time, --signal=B:USR1@N): +~75 s
#
# Ends with "N passed, N failed"; exits non-zero if anything failed.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SLOW=""
[ "${1:-}" = --slow ] && SLOW=1

"$HERE/sshd.sh" up
"$HERE/slurm.sh" up
eval "$("$HERE/sshd.sh" env)"
eval "$("$HERE/slurm.sh" env)"

PASS=0
FAIL=0
ok() {
  PASS=$((PASS + 1))
  echo "ok   - $*"
}
bad() {
  FAIL=$((FAIL + 1))
  echo "FAIL - $*"
}
check() { # DESCRIPTION COMMAND...
  local what="$1"
  shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}
rssh() { ssh -F "$DEVLOOP_SSH_CONFIG" "$DEVLOOP_SSH_HOST" "$@"; }

WORK="$(mktemp -d /tmp/devloop-targets-check.XXXXXX)"
RDIR="check-$$"
cleanup() {
  rm -rf "$WORK"
  rssh "rm -rf ~/$RDIR" </dev/null >/dev/null 2>&1 || true
}
trap cleanup EXIT

# --- SSH -------------------------------------------------------------------
# shellcheck disable=SC2016 # $HOME is the remote one
out="$(rssh 'id -un; echo $HOME; uname -m' </dev/null)"
check "ssh: login as $DEVLOOP_SSH_USER, home $DEVLOOP_SSH_REMOTE_HOME" \
  test "$(printf '%s\n' "$out" | head -n 2 | tr '\n' ' ')" = "$DEVLOOP_SSH_USER $DEVLOOP_SSH_REMOTE_HOME "

check "ssh: remote exit status comes back" \
  bash -c "ssh -F '$DEVLOOP_SSH_CONFIG' '$DEVLOOP_SSH_HOST' 'exit 7' </dev/null; test \$? = 7"

mkdir -p "$WORK/tree/sub"
echo hello >"$WORK/tree/sub/a.txt"
head -c 100000 /dev/urandom >"$WORK/tree/blob"
if rsync -e "ssh -F $DEVLOOP_SSH_CONFIG" -a "$WORK/tree" "$DEVLOOP_SSH_HOST:$RDIR/" &&
  rsync -e "ssh -F $DEVLOOP_SSH_CONFIG" -a "$DEVLOOP_SSH_HOST:$RDIR/tree/" "$WORK/back/"; then
  check "rsync: there and back, identical" diff -r "$WORK/tree" "$WORK/back"
else
  bad "rsync: there and back"
fi
check "rsync: files belong to $DEVLOOP_SSH_USER over there" \
  test "$(stat -c %U "$DEVLOOP_SSH_REMOTE_HOME/$RDIR/tree/sub/a.txt")" = "$DEVLOOP_SSH_USER"

check "ssh: host key is checked (an empty known_hosts is refused)" \
  bash -c "! ssh -F '$DEVLOOP_SSH_CONFIG' -o UserKnownHostsFile=/dev/null '$DEVLOOP_SSH_HOST' true </dev/null 2>/dev/null"

check "ssh: explicit options without -F work too" \
  ssh -p "$DEVLOOP_SSH_PORT" -i "$DEVLOOP_SSH_KEY" -o IdentitiesOnly=yes -o BatchMode=yes \
  -o UserKnownHostsFile="$DEVLOOP_SSH_KNOWN_HOSTS" "$DEVLOOP_SSH_USER@127.0.0.1" true </dev/null

pids=()
for i in $(seq 30); do
  rssh "echo $i" </dev/null >"$WORK/par.$i" 2>&1 &
  pids+=("$!")
done
par_ok=1
for p in "${pids[@]}"; do wait "$p" || par_ok=""; done
check "ssh: 30 connections at once all succeed" test -n "$par_ok"

# --- Slurm -----------------------------------------------------------------
cd "$WORK"

# wait_state JOB STATE... [timeout s]: until the job is in one of STATES
wait_state() {
  local job="$1" want="$2" limit="${3:-30}" i st
  for i in $(seq $((limit * 10))); do
    st="$(squeue -h -t all -j "$job" -o %T 2>/dev/null || true)"
    case " $want " in *" $st "*) return 0 ;; esac
    sleep 0.1
  done
  echo "  job $job is '$st', waited for '$want'" >&2
  return 1
}
field() { # JOB KEY -> value from scontrol show job
  scontrol show job "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

j="$(sbatch --parsable --wrap 'echo hi; sleep 2')"
if wait_state "$j" COMPLETED 20; then
  check "sbatch: job $j ran and wrote slurm-$j.out" grep -qx hi "slurm-$j.out"
else
  bad "sbatch: job $j did not complete"
fi

a="$(sbatch --parsable -c "$DEVLOOP_SLURM_CPUS" --wrap 'sleep 6')"
b="$(sbatch --parsable -c 1 --wrap 'echo second')"
wait_state "$a" RUNNING 10 || true
sleep 1
reason="$(squeue -h -j "$b" -o '%T %r')"
check "squeue: second job is 'PENDING Resources' while the first holds all CPUs (got '$reason')" \
  test "$reason" = "PENDING Resources"
check "squeue: then it runs and completes" wait_state "$b" COMPLETED 20

j="$(sbatch --parsable --wrap 'exit 3')"
wait_state "$j" FAILED 20 || true
check "exit code: scontrol show job says JobState=FAILED ExitCode=3:0" \
  test "$(field "$j" JobState) $(field "$j" ExitCode)" = "FAILED 3:0"
check "exit code: sacct -c (jobcomp file) says 3:0" \
  test "$(sacct -c -n -X -j "$j" -o exitcode 2>/dev/null | tr -d ' ')" = "3:0"
check "exit code: jobcomp file has the line" grep -q "^JobId=$j .*ExitCode=3:0" "$DEVLOOP_SLURM_JOBCOMP"

j="$(sbatch --parsable --wrap 'kill -KILL $$')"
wait_state "$j" FAILED 20 || true
check "exit code: killed by a signal is ExitCode=0:9" test "$(field "$j" ExitCode)" = "0:9"

# A job whose processes try to outlive it: a setsid child, a double-forked
# daemon, a child ignoring SIGTERM. scancel must end them all.
cat >tree.sh <<'EOF'
#!/bin/bash
setsid sleep 300 & echo $! >pids
( sleep 301 & echo $! >>pids ) &
bash -c 'trap "" TERM; sleep 302' & echo $! >>pids
sleep 1; echo started
wait
EOF
j="$(sbatch --parsable tree.sh)"
for i in $(seq 100); do grep -q started "slurm-$j.out" 2>/dev/null && break; sleep 0.1; done
scancel "$j"
wait_state "$j" CANCELLED 30 || true
sleep 1
alive=""
while read -r p; do
  if kill -0 "$p" 2>/dev/null && [ "$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)" != Z ]; then
    alive="$alive $p"
  fi
done <pids
proctrack="$(scontrol show config | sed -n 's/^ProctrackType *= *//p')"
if [ "$proctrack" = proctrack/cgroup ]; then
  check "scancel: whole process tree gone (setsid, orphan, TERM-proof)" test -z "$alive"
else
  echo "note - with $proctrack, these outlived scancel:$alive"
  for p in $alive; do kill -KILL "$p" 2>/dev/null || true; done
fi
check "scancel: JobState=CANCELLED ExitCode=0:15" \
  test "$(field "$j" JobState) $(field "$j" ExitCode)" = "CANCELLED 0:15"

cat >sig.sh <<'EOF'
#!/bin/bash
trap 'echo "got USR1"' USR1
echo ready
for i in $(seq 100); do sleep 0.1; done
EOF
j="$(sbatch --parsable sig.sh)"
for i in $(seq 100); do grep -q ready "slurm-$j.out" 2>/dev/null && break; sleep 0.1; done
scancel --signal=USR1 --batch "$j"
for i in $(seq 50); do grep -q "got USR1" "slurm-$j.out" && break; sleep 0.1; done
check "scancel --signal=USR1 --batch reaches the batch script" grep -q "got USR1" "slurm-$j.out"
scancel "$j"

out="$(rssh "mkdir -p $RDIR/jobs && cd $RDIR/jobs && j=\$(sbatch --parsable --wrap 'id -un; pwd') && echo \$j" </dev/null)"
wait_state "$out" COMPLETED 20 || true
check "ssh + sbatch: a job submitted over ssh runs as $DEVLOOP_SSH_USER in its dir" \
  test "$(tr '\n' ' ' <"$DEVLOOP_SSH_REMOTE_HOME/$RDIR/jobs/slurm-$out.out" 2>/dev/null)" \
  = "$DEVLOOP_SSH_USER $DEVLOOP_SSH_REMOTE_HOME/$RDIR/jobs "

if [ -n "$SLOW" ]; then
  cat >tl.sh <<'EOF'
#!/bin/bash
trap 'echo "USR1 at $SECONDS"' USR1
trap 'echo "TERM at $SECONDS"' TERM
while :; do sleep 0.2; done
EOF
  j="$(sbatch --parsable --time=1 --signal=B:USR1@20 tl.sh)"
  wait_state "$j" TIMEOUT 100 || true
  cat "slurm-$j.out"
  check "--time=1: JobState=TIMEOUT" test "$(field "$j" JobState)" = TIMEOUT
  check "--signal=B:USR1@20 arrived before the limit" grep -q "^USR1 at" "slurm-$j.out"
  check "the time limit sends TERM" grep -q "^TERM at" "slurm-$j.out"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
