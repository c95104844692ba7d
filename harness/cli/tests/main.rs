//! The `cbspec` binary's tests, one test binary: each module runs the real
//! executable as its users do (`render`/`verify`, `run`, `capture`).

mod architecture;
mod capture_cli;
mod cli;
mod probe_cli;
mod remote_cli;
mod run_cli;
mod support;
