//! Rebuilds the binary when a file is added to a folder it embeds.
//! `include_dir!` makes cargo watch each file it embedded, not the folders:
//! a new module in `assets/js` or a new demo file was left out of the binary
//! until some embedded file already there changed.

fn main() {
    println!("cargo:rerun-if-changed=assets");
    println!("cargo:rerun-if-changed=demo");
}
