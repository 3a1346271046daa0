//! `cachet`: the standalone status page. Run `cachet --help`; the logic lives in the
//! `cachet_examples` library so it can be tested.

fn main() -> std::process::ExitCode {
    cachet_examples::main()
}
