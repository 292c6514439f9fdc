//! The sources a script's component is built from, carried inside the `wasmload` binary so
//! a script builds wherever the binary runs: the contract and the Python and JavaScript SDKs.

/// The contract a script is built against: the newest released version.
pub const CONTRACT_WIT: &str = include_str!("../../../wit/0.2.0/scenario.wit");
/// Its package, as `CONTRACT_WIT` declares it.
pub const CONTRACT_PACKAGE: &str = "wasmload:scenario@0.2.0";
/// The run options a scenario may export beside the contract (`wasmload:options`).
pub const OPTIONS_WIT: &str = include_str!("../../../wit/options/0.1.0/options.wit");

/// The Python SDK (`guest-sdk-py/wasmload`), file by file.
pub const PYTHON_SDK: &[(&str, &str)] = &[
    (
        "__init__.py",
        include_str!("../../../guest-sdk-py/wasmload/__init__.py"),
    ),
    (
        "client.py",
        include_str!("../../../guest-sdk-py/wasmload/client.py"),
    ),
    (
        "exceptions.py",
        include_str!("../../../guest-sdk-py/wasmload/exceptions.py"),
    ),
    (
        "export.py",
        include_str!("../../../guest-sdk-py/wasmload/export.py"),
    ),
    (
        "headers.py",
        include_str!("../../../guest-sdk-py/wasmload/headers.py"),
    ),
    (
        "metrics.py",
        include_str!("../../../guest-sdk-py/wasmload/metrics.py"),
    ),
    (
        "shape.py",
        include_str!("../../../guest-sdk-py/wasmload/shape.py"),
    ),
    (
        "user.py",
        include_str!("../../../guest-sdk-py/wasmload/user.py"),
    ),
    (
        "wait.py",
        include_str!("../../../guest-sdk-py/wasmload/wait.py"),
    ),
];

/// The module componentize-py builds: it imports the script and makes its `User` export.
pub const PYTHON_APP: &str = "\
import wasmload_scenario
from wasmload.export import make_export

User = make_export(wasmload_scenario)
";

/// The JavaScript SDK (`guest-sdk-js`): the `wasmload` package and its `k6` alias, by path
/// under `node_modules`.
pub const JS_SDK: &[(&str, &str)] = &[
    (
        "wasmload/package.json",
        include_str!("../../../guest-sdk-js/wasmload/package.json"),
    ),
    (
        "wasmload/index.js",
        include_str!("../../../guest-sdk-js/wasmload/index.js"),
    ),
    (
        "wasmload/http.js",
        include_str!("../../../guest-sdk-js/wasmload/http.js"),
    ),
    (
        "wasmload/metrics.js",
        include_str!("../../../guest-sdk-js/wasmload/metrics.js"),
    ),
    (
        "wasmload/export.js",
        include_str!("../../../guest-sdk-js/wasmload/export.js"),
    ),
    (
        "wasmload/utf8.js",
        include_str!("../../../guest-sdk-js/wasmload/utf8.js"),
    ),
    (
        "wasmload/thresholds.js",
        include_str!("../../../guest-sdk-js/wasmload/thresholds.js"),
    ),
    (
        "k6/package.json",
        include_str!("../../../guest-sdk-js/k6/package.json"),
    ),
    (
        "k6/index.js",
        include_str!("../../../guest-sdk-js/k6/index.js"),
    ),
    (
        "k6/http.js",
        include_str!("../../../guest-sdk-js/k6/http.js"),
    ),
    (
        "k6/metrics.js",
        include_str!("../../../guest-sdk-js/k6/metrics.js"),
    ),
];

/// The module componentize-qjs builds: the SDK's bridge first (it sets k6's globals), then
/// the script, whose exports make the `user` export.
pub const JS_ENTRY: &str = "\
import { makeOptions, makeUser } from \"wasmload/export.js\";
import * as script from \"./wasmload_scenario.js\";

export const user = makeUser(script);
export const options = makeOptions(script);
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_declares_the_package_named_here() {
        assert!(CONTRACT_WIT.contains(&format!("package {CONTRACT_PACKAGE};")));
    }
}
