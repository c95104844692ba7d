//! The `cbspec` command-line tool.

fn main() -> std::process::ExitCode {
    cbspec::cli::main()
}
