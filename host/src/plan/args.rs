//! A command line handed on to another wasmload (a worker process, a Kubernetes pod) with
//! some of its flags taken out: those that belong to the whole run, or that the receiver
//! gets in another form.

use std::ffi::OsString;

/// A flag to take out, and whether it takes a value.
pub type FlagSpec = (&'static str, bool);

/// `args` without the `flags` (each as `--flag value` or `--flag=value`); returns the
/// arguments kept and, in order, each flag taken out with its value.
pub fn without_flags(
    args: &[OsString],
    flags: &[FlagSpec],
) -> (Vec<OsString>, Vec<(&'static str, Option<OsString>)>) {
    let mut kept = Vec::with_capacity(args.len());
    let mut removed = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let text = arg.to_string_lossy();
        let found = flags.iter().find_map(|&(name, takes_value)| {
            if text == name {
                return Some((name, takes_value, None));
            }
            let tail = text.strip_prefix(name)?;
            // `--flag=value`, or a short flag's value attached (`-Hhttp://…`, `-H=…`).
            let short = !name.starts_with("--") && takes_value && !tail.is_empty();
            let inline = tail.strip_prefix('=').or(short.then_some(tail))?;
            Some((name, takes_value, Some(OsString::from(inline))))
        });
        match found {
            Some((name, true, None)) => removed.push((name, rest.next().cloned())),
            Some((name, _, inline)) => removed.push((name, inline)),
            None => kept.push(arg.clone()),
        }
    }
    (kept, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn flags_go_with_their_values_in_either_form() {
        let args = os(&[
            "run",
            "a.wasm",
            "--json=x.json",
            "-u",
            "3",
            "--lib",
            "l.wasm",
            "-q",
            "-Hhttp://h",
        ]);
        let flags = [
            ("--json", true),
            ("--lib", true),
            ("-q", false),
            ("-H", true),
        ];
        let (kept, removed) = without_flags(&args, &flags);
        assert_eq!(kept, os(&["run", "a.wasm", "-u", "3"]));
        let removed: Vec<(&str, Option<String>)> = removed
            .into_iter()
            .map(|(flag, value)| (flag, value.map(|v| v.to_string_lossy().into_owned())))
            .collect();
        assert_eq!(
            removed,
            [
                ("--json", Some("x.json".to_string())),
                ("--lib", Some("l.wasm".to_string())),
                ("-q", None),
                ("-H", Some("http://h".to_string()))
            ]
        );
    }
}
