//! Parsers of the plain values users write in flags and plan files: durations, sizes, positive
//! numbers, `KEY=VALUE` pairs, the target URL and `SCENARIO[:WEIGHT]`. Each error is one line
//! that quotes the input and shows what would work.

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

/// Parses a human duration such as `30s`, `1m30s` or `250ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text)
        .map_err(|err| format!("`{text}` is not a duration like 30s, 5m or 1h ({err})"))
}

/// Parses a duration as [`parse_duration`] does, refusing zero: a run time or a timeout of
/// nothing would end the run, or every request, before it began.
pub fn parse_nonzero_duration(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        Duration::ZERO => Err(format!("`{text}` is zero; give a duration above zero")),
        duration => Ok(duration),
    }
}

/// Parses a size such as `16MiB`, `64MB` or `1048576` (bytes), at least 64 KiB.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let size: bytesize::ByteSize = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a size like 16MiB or 64MB"))?;
    let bytes = usize::try_from(size.as_u64()).map_err(|_| format!("`{text}` is too large"))?;
    if bytes < 64 << 10 {
        return Err(format!("`{text}` is too small: at least 64KiB"));
    }
    Ok(bytes)
}

/// A byte count as people read it, in the units [`parse_size`] takes: `16.0 MiB`.
pub fn display_size(bytes: u64) -> String {
    bytesize::ByteSize::b(bytes).display().iec().to_string()
}

/// Parses a positive, finite number such as `50` or `0.5` (a spawn rate).
pub fn parse_positive(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!("`{text}` is not a positive number")),
    }
}

/// Parses a share of one core, `0.25` or `25%`: above 0 and at most 1.
pub fn parse_core_share(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let share = match trimmed.strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().map(|p| p / 100.0),
        None => trimmed.parse::<f64>(),
    };
    match share {
        Ok(share) if share > 0.0 && share <= 1.0 => Ok(share),
        _ => Err(format!(
            "`{text}` is not a share of one core like 0.25 or 25% (above 0, at most 1)"
        )),
    }
}

/// Parses `KEY=VALUE`; the key must be non-empty.
pub fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

/// Parses the target: an absolute `http` or `https` URL with a host name.
pub fn parse_host(text: &str) -> Result<Url, String> {
    let url = Url::parse(text)
        .map_err(|err| format!("`{text}` is not a URL like http://127.0.0.1:8000 ({err})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "`{text}` must be an http:// or https:// URL with a host name"
        ));
    }
    Ok(url)
}

/// Parses a scenario argument: `login_flow.wasm`, or `login_flow.wasm:3` for a weight of 3.
pub fn parse_scenario_arg(text: &str) -> Result<(PathBuf, u32), String> {
    if let Some((path, weight)) = text.rsplit_once(':') {
        if !weight.is_empty() && weight.chars().all(|c| c.is_ascii_digit()) {
            let weight: u32 = weight
                .parse()
                .map_err(|_| format!("`{weight}` in `{text}` is too large a weight"))?;
            if weight == 0 {
                return Err(format!("`{text}`: a scenario's weight must be at least 1"));
            }
            if path.is_empty() {
                return Err(format!("`{text}` names no scenario"));
            }
            return Ok((PathBuf::from(path), weight));
        }
    }
    Ok((PathBuf::from(text), 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_human_units() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn sizes_parse_with_binary_and_decimal_units() {
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("64MB"), Ok(64_000_000));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        for bad in ["", "16 parsecs", "-1MiB", "1KiB"] {
            assert!(parse_size(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn positive_numbers_must_be_positive_and_finite() {
        assert_eq!(parse_positive("50"), Ok(50.0));
        assert_eq!(parse_positive("0.5"), Ok(0.5));
        for bad in ["0", "-1", "abc", "inf", "NaN"] {
            assert!(parse_positive(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn core_shares_are_fractions_or_percentages_of_one_core() {
        assert_eq!(parse_core_share("0.25"), Ok(0.25));
        assert_eq!(parse_core_share("50%"), Ok(0.5));
        assert_eq!(parse_core_share("1"), Ok(1.0));
        for bad in ["0", "1.5", "150%", "-1", "x", ""] {
            assert!(parse_core_share(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn key_values_split_on_the_first_equals() {
        assert_eq!(
            parse_key_value("TOKEN=a=b"),
            Ok(("TOKEN".to_string(), "a=b".to_string()))
        );
        assert_eq!(
            parse_key_value("EMPTY="),
            Ok(("EMPTY".into(), String::new()))
        );
        assert!(parse_key_value("=x").is_err());
        assert!(parse_key_value("novalue").is_err());
    }

    #[test]
    fn the_host_must_be_an_http_url() {
        assert!(parse_host("http://127.0.0.1:8000").is_ok());
        assert!(parse_host("https://api.example").is_ok());
        assert!(parse_host("ftp://x").is_err());
        assert!(parse_host("127.0.0.1:8000").is_err());
        assert!(parse_host("not a url").is_err());
    }

    #[test]
    fn scenario_weights_follow_a_colon() {
        assert_eq!(
            parse_scenario_arg("a.wasm:3"),
            Ok((PathBuf::from("a.wasm"), 3))
        );
        assert_eq!(
            parse_scenario_arg("a.wasm"),
            Ok((PathBuf::from("a.wasm"), 1))
        );
        assert_eq!(
            parse_scenario_arg("dir:name/a.wasm"),
            Ok((PathBuf::from("dir:name/a.wasm"), 1))
        );
        assert!(parse_scenario_arg("a.wasm:0").is_err());
        assert!(parse_scenario_arg(":3").is_err());
    }
}
