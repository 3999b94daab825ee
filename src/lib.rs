//! devloop: one local web page for the dev loop of LLM agents and evaluations.
//! See `docs/ARCHITECTURE.md` for the processes, the files and who writes what.

pub mod api;
pub mod bus;
pub mod cli;
pub mod command;
pub mod configs;
pub mod datasets;
pub mod demo;
pub mod error;
pub mod fsutil;
pub mod ids;
pub mod indexdb;
pub mod log;
pub mod names;
pub mod procinfo;
pub mod projectlock;
pub mod results;
pub mod runs;
pub mod server;
pub mod settings;
pub mod status;
pub mod supervisor;
pub mod targets;
