//! Replays every committed fuzz input (`fuzz/corpus/<target>/` and
//! `fuzz/regressions/<target>/`) through the same harness functions the cargo-fuzz targets
//! call (`cachet_core::fuzzing`), so a crash found once stays fixed without libFuzzer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use cachet_core::fuzzing::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of one input directory, sorted (a missing directory holds none).
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(kind: &str, name: &str) -> usize {
    let (_, harness) = TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no harness {name}"));
    let files = inputs(&fuzz_dir().join(kind).join(name));
    for file in &files {
        let data = std::fs::read(file).unwrap();
        let result = std::panic::catch_unwind(|| harness(&data));
        assert!(result.is_ok(), "{} fails {name}", file.display());
    }
    files.len()
}

#[test]
fn every_target_has_a_seed_corpus() {
    for (name, _) in TARGETS {
        assert!(
            !inputs(&fuzz_dir().join("corpus").join(name)).is_empty(),
            "fuzz/corpus/{name}/ is empty"
        );
    }
}

#[test]
fn every_fuzz_target_has_a_harness() {
    // The fuzz crate's targets and the harness list must not drift apart.
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for (name, _) in TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name} has no [[bin]] in fuzz/Cargo.toml"
        );
        let src =
            std::fs::read_to_string(fuzz_dir().join("fuzz_targets").join(format!("{name}.rs")))
                .unwrap();
        assert!(
            src.contains(&format!("cachet_core::fuzzing::{name}(")),
            "fuzz_targets/{name}.rs does not call its harness"
        );
    }
}

macro_rules! replay_tests {
    ($($target:ident),+ $(,)?) => {$(
        #[test]
        fn $target() {
            let corpus = replay("corpus", stringify!($target));
            let regressions = replay("regressions", stringify!($target));
            eprintln!("{}: {corpus} corpus inputs, {regressions} regressions", stringify!($target));
        }
    )+};
}

replay_tests!(
    markdown_sanitize,
    validate_inputs,
    template_render,
    api_v1_json,
    form_and_query,
    cookie_and_token,
    totp_input,
    web_request,
    dashboard_forms,
);
