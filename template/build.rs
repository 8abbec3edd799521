//! Hands `static/` to memory-serve (see `src/assets.rs`): embedded in release builds, read from
//! disk in debug builds.

fn main() {
    memory_serve::load_directory("./static");
}
