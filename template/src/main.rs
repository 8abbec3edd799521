//! The `{{project-name}}` binary: everything happens in the library, starting at [`cli::run`].

use std::process::ExitCode;

use {{crate_name}}::cli;

fn main() -> ExitCode {
    cli::run()
}
