//! Bounded fuzzing of everything that reads user input: flag values, thresholds, stages,
//! rates, sizes, plan files and component bytes. Whatever the input, the answer is a value or
//! an error, never a panic.

use proptest::prelude::*;

use crate::engine::{self, EngineOptions};
use crate::plan;
use crate::vu::LoadedScenario;

/// Text shaped like the inputs (digits, units, operators, separators) and plain noise.
fn input_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9a-zA-Z%<>=!:,./ _µ-]{0,40}",
        "(p[0-9]{1,3}(\\.[0-9]{1,3})?|avg|rps|error_rate|check:x:rate)[<>=!]{1,2}[0-9.]{0,6}(ms|s|us|%|/s)?",
        "([0-9]{1,4}(s|m|ms|h)?:[0-9]{0,5}(:[0-9.]{0,4})?,?){1,4}",
        ".{0,60}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn text_parsers_never_panic(text in input_text()) {
        let _ = plan::Threshold::parse(&text);
        let _ = plan::parse_stages(&text);
        let _ = plan::parse_rate_per_second(&text);
        let _ = plan::parse_rate_stages(&text);
        let _ = plan::parse_scenario_arg(&text);
        let _ = plan::parse_size(&text);
        let _ = plan::parse_duration(&text);
        let _ = plan::parse_positive(&text);
        let _ = plan::parse_key_value(&text);
        let _ = plan::parse_host(&text);
    }

    #[test]
    fn plan_files_never_panic(
        key in "(users|spawn-rate|run-time|rate|max-users|max-queue|thresholds|abort-on-fail|stages|x)",
        value in "(\"[0-9a-z%<>/. ]{0,12}\"|-?[0-9]{1,12}(\\.[0-9]{1,3})?|true|\\[\"p95<1s\"\\]|\\[\\]|\\{\\})",
        noise in ".{0,30}",
    ) {
        let _ = plan::PlanFile::parse(&format!("{key} = {value}\n"));
        let _ = plan::PlanFile::parse(&format!("[[stages]]\nduration = {value}\nusers = {value}\n"));
        let _ = plan::PlanFile::parse(&noise);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn the_component_loader_never_panics(
        body in proptest::collection::vec(any::<u8>(), 0..2048),
        header in prop_oneof![
            Just(b"\0asm\x0d\0\x01\0".to_vec()),
            Just(b"\0asm\x01\0\0\0".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..8),
        ],
    ) {
        let engine = test_engine();
        let dir = crate::test_support::ScratchDir::new("fuzz");
        let path = dir.0.join("input.wasm");
        let mut bytes = header;
        bytes.extend(body);
        std::fs::write(&path, &bytes).expect("write");
        let loaded = engine::prepare(&path, &[])
            .and_then(|prepared| engine::compile(&engine, prepared))
            .and_then(LoadedScenario::link);
        prop_assert!(loaded.is_err());
    }
}

fn test_engine() -> wasmtime::Engine {
    static ENGINE: std::sync::OnceLock<wasmtime::Engine> = std::sync::OnceLock::new();
    ENGINE
        .get_or_init(|| {
            engine::build_engine(EngineOptions {
                max_users: 1,
                vu_memory: 1 << 20,
                budgets: true,
                per_user: engine::Needs::SINGLE_COMPONENT,
            })
            .expect("an engine")
        })
        .clone()
}
