//! Which library a trap happened in: the functions only a library's modules define (by their
//! name sections) identify it among the frames of a trap's backtrace.

use std::collections::HashSet;

use wasmparser::{KnownCustom, Name, Parser, Payload};

/// The functions only one linked library defines, and its name.
#[derive(Debug, Clone)]
pub struct LibraryCode {
    /// The library's file name.
    pub label: String,
    /// SHA-256 of the library's file, in hex: part of the run's identity.
    pub sha256: String,
    functions: HashSet<String>,
}

impl LibraryCode {
    /// For each of `libraries` (label and bytes), the functions no other component of
    /// `scenario` and `libraries` defines.
    pub fn of(scenario: &[u8], libraries: &[(String, &[u8])]) -> Vec<Self> {
        let scenario_functions = function_names(scenario);
        let all: Vec<HashSet<String>> = libraries
            .iter()
            .map(|(_, bytes)| function_names(bytes))
            .collect();
        libraries
            .iter()
            .enumerate()
            .map(|(index, (label, bytes))| {
                let functions = all[index]
                    .iter()
                    .filter(|name| !scenario_functions.contains(*name))
                    .filter(|name| {
                        all.iter()
                            .enumerate()
                            .all(|(other, names)| other == index || !names.contains(*name))
                    })
                    .cloned()
                    .collect();
                Self {
                    label: label.clone(),
                    sha256: super::file_digest(bytes),
                    functions,
                }
            })
            .collect()
    }

    /// The library whose own function is the innermost of `frames` (function names,
    /// innermost first) that belongs to one.
    pub fn owner<'a, 'n>(
        libraries: &'a [Self],
        frames: impl IntoIterator<Item = &'n str>,
    ) -> Option<&'a str> {
        frames.into_iter().find_map(|frame| {
            libraries
                .iter()
                .find(|library| library.functions.contains(frame))
                .map(|library| library.label.as_str())
        })
    }
}

/// The names the name sections of a component's core modules give their functions.
fn function_names(bytes: &[u8]) -> HashSet<String> {
    let mut names = HashSet::new();
    for payload in Parser::new(0).parse_all(bytes) {
        let Ok(Payload::CustomSection(section)) = payload else {
            continue;
        };
        let KnownCustom::Name(reader) = section.as_known() else {
            continue;
        };
        for subsection in reader.into_iter().flatten() {
            if let Name::Function(map) = subsection {
                names.extend(
                    map.into_iter()
                        .flatten()
                        .map(|naming| naming.name.to_string()),
                );
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library(label: &str, functions: &[&str]) -> LibraryCode {
        LibraryCode {
            label: label.into(),
            sha256: String::new(),
            functions: functions.iter().map(|name| name.to_string()).collect(),
        }
    }

    #[test]
    fn the_innermost_frame_of_a_library_names_it_and_shared_code_names_none() {
        let libraries = [
            library("auth.wasm", &["auth::login"]),
            library("cart.wasm", &["cart::add"]),
        ];
        let in_auth = [
            "std::panicking::begin_panic",
            "auth::login",
            "scenario::on_start",
        ];
        assert_eq!(LibraryCode::owner(&libraries, in_auth), Some("auth.wasm"));
        let in_scenario = ["std::panicking::begin_panic", "scenario::task"];
        assert_eq!(LibraryCode::owner(&libraries, in_scenario), None);
        let nested = ["cart::add", "auth::login"];
        assert_eq!(LibraryCode::owner(&libraries, nested), Some("cart.wasm"));
    }
}
