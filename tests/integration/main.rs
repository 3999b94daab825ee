//! Integration tests: the real `devloop` binary, a real project folder, real
//! child processes and real HTTP on a loopback port.

mod helper;

mod bad_input;
mod cli;
mod configs;
mod faults;
mod hostile;
mod leftovers;
mod lifecycle;
mod names;
mod output;
mod results;
mod security;
mod streaming;
mod streams;
