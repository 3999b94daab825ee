//! What a run costs, sampled once a second over its whole process tree
//! (re-parented descendants included, as `tree.rs` finds them): CPU, resident
//! memory, processes and threads, bytes read and written, and, where an
//! NVIDIA driver is present, each GPU's memory and utilisation used by the
//! run's processes (NVML, loaded at run time: no driver, no GPU figures, no
//! error). Samples are records of the run's log, so they are durable,
//! resumable and replicated from targets like any other record.

use std::collections::HashMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::log::{GpuUse, Metrics};

/// The totals a run ends with, and the latest sample while it runs
/// (`metrics.json` in the run folder).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub peak_rss_bytes: u64,
    pub cpu_seconds: f64,
    #[serde(default)]
    pub latest: Option<Metrics>,
}

pub struct Sampler {
    /// CPU ticks each process had at the last sample.
    ticks: HashMap<i32, u64>,
    last: Option<Instant>,
    ticks_per_sec: f64,
    page_size: u64,
    pub totals: Totals,
    nvml: Option<nvml_wrapper::Nvml>,
    /// The run's cgroup's `cpu.stat`: its CPU time exactly, processes that
    /// came and went between samples included.
    cpu_stat: Option<std::path::PathBuf>,
}

impl Sampler {
    pub fn new(cgroup: Option<&std::path::Path>) -> Sampler {
        Sampler {
            ticks: HashMap::new(),
            last: None,
            ticks_per_sec: procfs::ticks_per_second() as f64,
            page_size: procfs::page_size(),
            totals: Totals::default(),
            // No driver here is the common case, not an error.
            nvml: nvml_wrapper::Nvml::init().ok(),
            cpu_stat: cgroup.map(|d| d.join("cpu.stat")),
        }
    }

    /// CPU seconds the cgroup has used, when the run has one.
    fn cgroup_cpu_seconds(&self) -> Option<f64> {
        let text = std::fs::read_to_string(self.cpu_stat.as_ref()?).ok()?;
        let usec: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix("usage_usec "))?
            .trim()
            .parse()
            .ok()?;
        Some(usec as f64 / 1e6)
    }

    /// CPU seconds the run used in all, at its end: the cgroup's count, or
    /// what the kernel summed for every child the supervisor reaped (it is
    /// the subreaper, so orphans count too), whichever knows more.
    pub fn final_cpu_seconds(&self) -> f64 {
        let reaped = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
            .map(|u| {
                let t =
                    |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
                t(u.user_time()) + t(u.system_time())
            })
            .unwrap_or(0.0);
        self.cgroup_cpu_seconds()
            .unwrap_or(0.0)
            .max(reaped)
            .max(self.totals.cpu_seconds)
    }

    /// Samples the processes `pids` (the run's whole tree).
    pub fn sample(&mut self, pids: &[i32]) -> Metrics {
        let now = Instant::now();
        let mut m = Metrics::default();
        let mut ticks = HashMap::with_capacity(pids.len());
        let mut used_ticks = 0u64;
        for &pid in pids {
            let Some(stat) = crate::procinfo::live_stat(pid) else {
                continue;
            };
            let t = stat.utime + stat.stime;
            // A process new since the last sample spent all its time since.
            used_ticks += t.saturating_sub(self.ticks.get(&pid).copied().unwrap_or(0));
            ticks.insert(pid, t);
            m.procs += 1;
            m.threads += stat.num_threads.max(0) as u64;
            m.rss_bytes += stat.rss * self.page_size;
            if let Ok(io) =
                <procfs::process::Io as procfs::FromRead>::from_file(format!("/proc/{pid}/io"))
            {
                m.read_bytes += io.read_bytes;
                m.write_bytes += io.write_bytes;
            }
        }
        let used = match self.cgroup_cpu_seconds() {
            Some(total) => (total - self.totals.cpu_seconds).max(0.0),
            None => used_ticks as f64 / self.ticks_per_sec,
        };
        if let Some(last) = self.last {
            let dt = now.duration_since(last).as_secs_f64();
            if dt > 0.0 {
                m.cpu_pct = (100.0 * used / dt * 10.0).round() / 10.0;
            }
        }
        self.totals.cpu_seconds += used;
        self.ticks = ticks;
        self.last = Some(now);
        m.gpus = self.gpus(pids);
        self.totals.peak_rss_bytes = self.totals.peak_rss_bytes.max(m.rss_bytes);
        self.totals.latest = Some(m.clone());
        m
    }

    fn gpus(&self, pids: &[i32]) -> Vec<GpuUse> {
        let Some(nvml) = &self.nvml else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for index in 0..nvml.device_count().unwrap_or(0) {
            let Ok(dev) = nvml.device_by_index(index) else {
                continue;
            };
            let mem: u64 = dev
                .running_compute_processes()
                .unwrap_or_default()
                .iter()
                .chain(dev.running_graphics_processes().unwrap_or_default().iter())
                .filter(|p| pids.contains(&(p.pid as i32)))
                .map(|p| match p.used_gpu_memory {
                    nvml_wrapper::enums::device::UsedGpuMemory::Used(b) => b,
                    nvml_wrapper::enums::device::UsedGpuMemory::Unavailable => 0,
                })
                .sum();
            if mem > 0 {
                out.push(GpuUse {
                    index,
                    mem_bytes: mem,
                    util_pct: dev.utilization_rates().map(|u| u.gpu).unwrap_or(0),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_child_with_memory_is_counted() {
        let mut child = std::process::Command::new("python3")
            .args(["-c", "b = bytearray(80 << 20)\nimport time\nt = time.time()\nwhile time.time() - t < 3: pass\n"])
            .spawn()
            .unwrap();
        let mut s = Sampler::new(None);
        let pid = child.id() as i32;
        s.sample(&[pid]);
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let m = s.sample(&[pid]);
        let _ = child.kill();
        let _ = child.wait();
        assert!(m.rss_bytes > 80 << 20, "{m:?}");
        assert!(m.cpu_pct > 10.0, "{m:?}");
        assert_eq!((m.procs, m.gpus.len()), (1, 0));
        assert!(s.totals.cpu_seconds > 0.5);
    }
}
