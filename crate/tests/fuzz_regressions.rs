//! Every input the fuzzers ever crashed on stays a test: the files under `crate/fuzz/regressions/<target>/`
//! go through the very function the fuzz target `<target>` calls (`crate/fuzz/fuzz_targets/common.rs`),
//! on stable, in `cargo test`. A crash found by fuzzing is fixed, and its input (the libFuzzer artifact,
//! minimised with `cargo fuzz tmin` where possible) copied to `regressions/<target>/` with a name that says
//! what it was.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[path = "../fuzz/fuzz_targets/common.rs"]
mod common;

/// Files of a directory, sorted, without hidden ones (`.gitkeep`).
fn visible_entries(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    out.sort();
    out
}

fn target(name: &str) -> common::Target {
    match common::TARGETS.iter().find(|(t, _)| *t == name) {
        Some((_, run)) => *run,
        None => {
            let names: Vec<&str> = common::TARGETS.iter().map(|(t, _)| *t).collect();
            panic!("regressions/{name}/ is not a fuzz target (expected one of {names:?})")
        }
    }
}

#[test]
fn fuzz_regressions_replay_without_panics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut failures = Vec::new();
    let mut replayed = 0;
    for dir in visible_entries(&root) {
        assert!(dir.is_dir(), "{}: put regression inputs in regressions/<target>/", dir.display());
        let run = target(&dir.file_name().unwrap().to_string_lossy());
        for file in visible_entries(&dir) {
            let data = std::fs::read(&file).unwrap();
            let started = Instant::now();
            let outcome = std::panic::catch_unwind(|| run(&data));
            let took = started.elapsed();
            let name = file.strip_prefix(&root).unwrap().display().to_string();
            match outcome {
                Err(_) => failures.push(format!("{name}: panicked (see above)")),
                // Generous: this is an unoptimised build of the crate; the fuzzers allow far less.
                Ok(()) if took > Duration::from_secs(60) => failures.push(format!("{name}: took {took:?}")),
                Ok(()) => {}
            }
            replayed += 1;
        }
    }
    println!("replayed {replayed} fuzz regression inputs");
    assert!(failures.is_empty(), "fuzz regressions failed:\n{}", failures.join("\n"));
}

/// The entry points themselves run (Bob's identity loads, the test certificates parse), on inputs that
/// are nothing and something.
#[test]
fn every_target_takes_empty_and_seed_input() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let seed = std::fs::read(data.join("trust/chain.p7b")).unwrap();
    for (_, run) in common::TARGETS {
        run(b"");
        run(&seed);
        run(&[0x30, 0x80, 0x04, 0x01, 0x41, 0x00, 0x00]);
    }
}
