//! The output line splitter on arbitrary reads and ticks.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/props/checks.rs"]
mod checks;

#[derive(Debug, Arbitrary)]
enum FuzzOp {
    Feed(Vec<u8>),
    /// A run of one byte, so lines longer than MAX_LINE are reachable.
    Fill(u8, u16),
    Tick(u8),
}

fuzz_target!(|ops: Vec<FuzzOp>| {
    let ops: Vec<checks::Op> = ops
        .into_iter()
        .take(64)
        .map(|op| match op {
            FuzzOp::Feed(b) => checks::Op::Feed(b),
            // Mostly short runs; now and then one near the wrap limit.
            FuzzOp::Fill(b, n) => {
                let len = if n >= 0xF000 {
                    devloop::supervisor::MAX_LINE - 2048 + usize::from(n & 0xFFF)
                } else {
                    usize::from(n & 0x3FF)
                };
                checks::Op::Feed(vec![b; len])
            }
            FuzzOp::Tick(ms) => checks::Op::Tick(u16::from(ms)),
        })
        .collect();
    checks::check_splitter(&ops);
});
