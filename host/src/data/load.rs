//! Reading a data file given with `--data NAME=FILE`: CSV with a header row, or JSON Lines
//! (one JSON object a line). Each row becomes the JSON object text a guest receives.

use std::path::Path;

use anyhow::{anyhow, bail, Context};
use serde_json::{Map, Value};

/// The rows of `path`, each a JSON object's text, by the file's extension: `.csv`, or
/// `.jsonl`/`.ndjson`.
pub fn read_rows(name: &str, path: &Path) -> anyhow::Result<Vec<Box<str>>> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("data set `{name}` ({shown}): cannot read the file"))?;
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    let rows = match extension.as_deref() {
        Some("csv") => csv_rows(&text),
        Some("jsonl" | "ndjson") => json_lines(&text),
        _ => Err(anyhow!(
            "not a data file wasmload reads: name it .csv (with a header row) or .jsonl (a JSON object a line)"
        )),
    }
    .map_err(|err| anyhow!("data set `{name}` ({shown}): {err}"))?;
    if rows.is_empty() {
        bail!("data set `{name}` ({shown}): the file has no rows");
    }
    Ok(rows)
}

/// A CSV file's rows, as objects keyed by the header's names; every row must have as many
/// fields as the header.
fn csv_rows(text: &str) -> anyhow::Result<Vec<Box<str>>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|err| anyhow!("cannot read the header row: {err}"))?
        .iter()
        .map(str::to_string)
        .collect();
    if header.iter().any(String::is_empty) {
        bail!("the header row has an empty field name");
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|err| match err.kind() {
            csv::ErrorKind::UnequalLengths {
                pos,
                expected_len,
                len,
            } => anyhow!(
                "line {} has {len} fields, but the header has {expected_len}",
                pos.as_ref().map_or(0, csv::Position::line)
            ),
            _ => anyhow!("{err}"),
        })?;
        let object: Map<String, Value> = header
            .iter()
            .zip(record.iter())
            .map(|(field, value)| (field.clone(), Value::String(value.to_string())))
            .collect();
        rows.push(Value::Object(object).to_string().into_boxed_str());
    }
    Ok(rows)
}

/// A JSON Lines file's rows: every line that is not blank must be one JSON object.
fn json_lines(text: &str) -> anyhow::Result<Vec<Box<str>>> {
    let mut rows = Vec::new();
    for (number, line) in (1..).zip(text.lines()) {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(object)) => {
                rows.push(Value::Object(object).to_string().into_boxed_str());
            }
            Ok(_) => bail!("line {number} is not a JSON object"),
            Err(err) => bail!("line {number} is not JSON: {err}"),
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_of(file: &str, text: &str) -> anyhow::Result<Vec<Box<str>>> {
        let dir = crate::test_support::ScratchDir::new("data");
        let path = dir.0.join(file);
        std::fs::write(&path, text)?;
        read_rows("users", &path)
    }

    #[test]
    fn csv_rows_become_objects_of_strings() {
        let rows = rows_of("a.csv", "username,password\nann,pw1\n\"bo, b\",pw2\n").expect("reads");
        let values: Vec<Value> = rows
            .iter()
            .map(|row| serde_json::from_str(row).expect("JSON"))
            .collect();
        assert_eq!(
            values,
            [
                serde_json::json!({"username": "ann", "password": "pw1"}),
                serde_json::json!({"username": "bo, b", "password": "pw2"}),
            ]
        );
    }

    #[test]
    fn json_lines_keep_their_types() {
        let rows =
            rows_of("b.jsonl", "{\"id\": 7, \"tags\": [\"x\"]}\n\n{\"id\": 8}\n").expect("reads");
        assert_eq!(rows[0].as_ref(), r#"{"id":7,"tags":["x"]}"#);
        assert_eq!(rows.len(), 2);
    }

    #[test]
    fn bad_files_are_refused_with_the_line() {
        let ragged = rows_of("c.csv", "a,b\n1,2\n3\n").expect_err("ragged");
        assert!(
            ragged
                .to_string()
                .contains("line 3 has 1 fields, but the header has 2"),
            "{ragged}"
        );
        let not_object = rows_of("d.jsonl", "{\"a\":1}\n[1]\n").expect_err("an array");
        assert!(
            not_object
                .to_string()
                .contains("line 2 is not a JSON object"),
            "{not_object}"
        );
        let other = rows_of("e.txt", "a\n").expect_err("unknown extension");
        assert!(other.to_string().contains("name it .csv"), "{other}");
        let empty = rows_of("f.csv", "a,b\n").expect_err("no rows");
        assert!(empty.to_string().contains("has no rows"), "{empty}");
        let missing = read_rows("users", Path::new("/nonexistent/users.csv")).expect_err("missing");
        assert!(
            missing.to_string().contains("cannot read the file"),
            "{missing}"
        );
    }
}
