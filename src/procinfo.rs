//! Facts about processes from `/proc`: whether a pid still names the process
//! we started (pids are reused), whether it is a zombie, and every process
//! descended from one.

use procfs::process::Stat;
use procfs::FromRead;

/// `/proc/PID/stat` of a process that is alive (not a zombie), read as one
/// file (this runs for every process on the machine in a walk).
pub fn live_stat(pid: i32) -> Option<Stat> {
    Stat::from_file(format!("/proc/{pid}/stat"))
        .ok()
        .filter(|s| !matches!(s.state, 'Z' | 'X'))
}

/// The start time of `pid` in clock ticks since boot, or `None` if there is
/// no such live process.
pub fn start_time(pid: i32) -> Option<u64> {
    live_stat(pid).map(|s| s.starttime)
}

/// True when `pid` is alive and is the same process that had `start`.
pub fn is_same_process(pid: i32, start: u64) -> bool {
    pid > 0 && start_time(pid) == Some(start)
}

/// Every live (not zombie) process below `root`, children before their own
/// children. A process that left its group or session (`setsid`, a double
/// fork) is still found: its parent, or the subreaper it was handed to
/// when that parent died, is in the tree.
pub fn descendants(root: i32) -> Vec<i32> {
    let mut children: std::collections::HashMap<i32, Vec<i32>> = Default::default();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let pids = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok());
    for stat in pids.filter_map(live_stat) {
        children.entry(stat.ppid).or_default().push(stat.pid);
    }
    let mut out = Vec::new();
    let mut queue = std::collections::VecDeque::from([root]);
    while let Some(pid) = queue.pop_front() {
        for &child in children.get(&pid).map(Vec::as_slice).unwrap_or(&[]) {
            out.push(child);
            queue.push_back(child);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_recognised_and_a_wrong_start_time_is_not() {
        let me = std::process::id() as i32;
        let start = start_time(me).expect("own start time");
        assert!(is_same_process(me, start));
        assert!(!is_same_process(me, start + 1));
    }

    #[test]
    fn a_grandchild_in_its_own_session_is_a_descendant() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "setsid sleep 30 & sleep 30"])
            .spawn()
            .unwrap();
        let sh = child.id() as i32;
        let mut found = Vec::new();
        for _ in 0..200 {
            found = descendants(sh);
            if found.len() >= 2 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let sessions: std::collections::HashSet<_> = found
            .iter()
            .filter_map(|&p| nix::unistd::getsid(Some(nix::unistd::Pid::from_raw(p))).ok())
            .collect();
        for &pid in found.iter().chain([&sh]) {
            let _ =
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL);
        }
        let _ = child.wait();
        assert_eq!(sessions.len(), 2, "one sleep left the session");
        assert_eq!(
            found.len(),
            2,
            "both sleeps, one in a session of its own: {found:?}"
        );
    }
}
