//! Everything a run started, so that all of it ends when the run ends or is
//! stopped: the command's process group, and every process descended from
//! the supervisor (it is a child subreaper, so orphans, processes that called
//! `setsid` and double-forked daemons all stay below it). Where the machine
//! has cgroup v2 with `cgroup.kill` and lets us make a group, the command
//! also runs in a cgroup of its own, which nothing inside can leave.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;

pub struct RunTree {
    /// The command, leader of its own process group.
    pub group: Pid,
    cgroup: Option<Cgroup>,
}

impl RunTree {
    pub fn new(group: Pid, cgroup: Option<Cgroup>) -> RunTree {
        RunTree { group, cgroup }
    }

    /// Every process the run started that is still alive.
    pub fn members(&self) -> Vec<i32> {
        let mut pids = crate::procinfo::descendants(std::process::id() as i32);
        if let Some(cg) = &self.cgroup {
            for pid in cg.procs() {
                if !pids.contains(&pid) {
                    pids.push(pid);
                }
            }
        }
        pids
    }

    /// The run's cgroup, when it has one.
    pub fn cgroup_dir(&self) -> Option<&std::path::Path> {
        self.cgroup.as_ref().map(|c| c.dir.as_path())
    }

    /// The members as cheaply as they can be known, for sampling and for
    /// counting what is left: the cgroup's list when there is one (nothing
    /// can leave it without privileges), else the walk of /proc.
    pub fn members_to_sample(&self) -> Vec<i32> {
        match &self.cgroup {
            Some(cg) => cg.procs(),
            None => self.members(),
        }
    }

    /// Sends `sig` to the group, and to every member outside it (those in
    /// the group get it once, from the group); how many members there were.
    pub fn signal(&self, sig: Signal) -> usize {
        let _ = killpg(self.group, sig);
        let members = self.members();
        for &pid in &members {
            let pid = Pid::from_raw(pid);
            if nix::unistd::getpgid(Some(pid)).ok() != Some(self.group) {
                let _ = kill(pid, sig);
            }
        }
        members.len()
    }

    /// Kills every member, again and again while new ones appear (a fork
    /// racing the walk), for at most `limit`.
    pub fn kill_all(&self, limit: Duration) {
        if let Some(cg) = &self.cgroup {
            cg.kill();
        }
        let deadline = Instant::now() + limit;
        while self.signal(Signal::SIGKILL) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        remove_cgroup(&self.dir);
    }
}

/// A cgroup v2 made for one run.
pub struct Cgroup {
    dir: PathBuf,
    /// `cgroup.procs`, opened before the fork, so the child can move itself
    /// in before it runs anything.
    procs: OwnedFd,
}

impl Cgroup {
    /// Makes `NAME` below the supervisor's own cgroup, if the machine has
    /// cgroup v2 with `cgroup.kill` and allows it; `None` otherwise (the
    /// descendant walk still ends everything).
    pub fn create(name: &str) -> Option<Cgroup> {
        // Lets the tests try the descendant walk alone on a machine that
        // has cgroups.
        if std::env::var_os("DEVLOOP_NO_CGROUP").is_some() {
            return None;
        }
        let mount = cgroup2_mount()?;
        let own = std::fs::read_to_string("/proc/self/cgroup")
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("0::").map(str::to_string))?;
        let dir = mount.join(own.trim_start_matches('/')).join(name);
        std::fs::create_dir(&dir).ok()?;
        let ok = dir.join("cgroup.kill").exists();
        let procs = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.join("cgroup.procs"))
            .ok();
        match (ok, procs) {
            (true, Some(f)) => Some(Cgroup {
                dir,
                procs: f.into(),
            }),
            _ => {
                let _ = std::fs::remove_dir(&dir);
                None
            }
        }
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The raw fd a child writes `0` to, to join (see `spawn`).
    pub fn procs_fd(&self) -> i32 {
        self.procs.as_raw_fd()
    }

    fn procs(&self) -> Vec<i32> {
        std::fs::read_to_string(self.dir.join("cgroup.procs"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }

    fn kill(&self) {
        kill_cgroup(&self.dir);
    }
}

/// Kills every process in the cgroup at `dir`.
pub fn kill_cgroup(dir: &std::path::Path) {
    let _ = std::fs::write(dir.join("cgroup.kill"), "1");
}

/// Removes the (emptied) cgroup at `dir`, waiting a moment for the last
/// processes to be gone.
pub fn remove_cgroup(dir: &std::path::Path) {
    for _ in 0..100 {
        if std::fs::remove_dir(dir).is_ok() || !dir.exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn cgroup2_mount() -> Option<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    mounts.lines().find_map(|l| {
        let mut f = l.split_whitespace();
        let (_, path, kind) = (f.next()?, f.next()?, f.next()?);
        (kind == "cgroup2").then(|| PathBuf::from(path))
    })
}
