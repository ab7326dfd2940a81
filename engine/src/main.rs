//! The `skillbrain` binary: everything lives in the engine library.

fn main() -> std::process::ExitCode {
    skillbrain_engine::cli::main()
}
