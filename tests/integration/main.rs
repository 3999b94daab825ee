//! Integration tests: the real `devloop` binary, a real project folder, real
//! child processes and real HTTP on a loopback port.
//!
//! Where a new test goes: in the file named for the behaviour it checks
//! (below); a new area gets a new file and a line here. Fixtures (a project,
//! a server, an SSE reader, `wait_for`) are in `helper/`; the random-fault
//! tools (seeded `Rng`, tmpfs, raw SSE) in `helper/chaos.rs`. Timing goals
//! belong in `benches/`, never here; long variants are `#[ignore]` (run
//! them with `cargo test -- --ignored`).

mod helper;

/// Hostile events files and output through the real supervisor.
mod bad_input;
/// `devloop launch/runs/logs/stop` against a real server.
mod cli;
/// Config files: save, conflicts, copy, validation.
mod configs;
/// What a run costs (metrics of its tree) and alerts and notify commands.
mod costs;
/// The server or a supervisor killed, a full disk, silence and floods.
mod faults;
/// Every name-taking route against escapes (`../`, encodings, symlinks).
mod hostile;
/// Conditional requests, compression, ranges.
mod http;
/// Inspect AI logs made by the real inspect-ai: list, samples, transcript, compare, live.
mod inspect;
/// Launch, the live stream, resume after any record, pages, events.
mod launch_and_resume;
/// What a run leaves running ends with it.
mod leftovers;
/// Queue, stop, delete, restarts, lost supervisors.
mod lifecycle;
/// Hundreds of viewers, reconnecting or stalled.
mod many_viewers;
/// Names as users give them, through every route and the CLI.
mod names;
/// How output becomes records: partial lines, progress bars, bad bytes.
mod output;
/// Result folders: listing, samples, rendering, compare.
mod results;
/// Host, Origin and token checks.
mod security;
/// Slow and unauthenticated clients cannot starve the server.
mod slow_clients;
/// Runs on other machines: a real sshd and a real single-node Slurm.
mod targets;
