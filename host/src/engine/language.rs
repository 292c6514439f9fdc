//! Which language a component was written in, read from what its toolchain leaves in it.

/// The language `bytes` (a component) was written in, as far as its toolchain tells.
pub fn language_of(bytes: &[u8]) -> &'static str {
    if contains(bytes, b"componentize_py_runtime") {
        "Python (componentize-py)"
    } else if contains(bytes, b"QuickJS") || contains(bytes, b"componentize-qjs") {
        "JavaScript (QuickJS)"
    } else if names_rust(bytes) {
        "Rust"
    } else {
        "an unnamed language"
    }
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Whether a `producers` section names Rust as a source language: the field `language`
/// followed closely by the value `Rust`.
fn names_rust(bytes: &[u8]) -> bool {
    const FIELD: &[u8] = b"language";
    bytes.windows(FIELD.len()).enumerate().any(|(at, window)| {
        window == FIELD && {
            let after = &bytes[at + FIELD.len()..bytes.len().min(at + FIELD.len() + 8)];
            contains(after, b"Rust")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_toolchain_is_told_by_its_marks() {
        assert_eq!(
            language_of(b"..libcomponentize_py_runtime.so.."),
            "Python (componentize-py)"
        );
        assert_eq!(language_of(b"\x08language\x01\x04Rust\x061.95.0"), "Rust");
        assert_eq!(language_of(b"\0asm plain"), "an unnamed language");
    }
}
