//! `multipart/form-data` bodies (RFC 7578), for file uploads like
//! `requests`' `files=` and `data=`.

use std::fmt;

/// A `multipart/form-data` form: text fields and files, encoded in the order
/// they were added. Send it with
/// [`RequestBuilder::multipart`](crate::RequestBuilder::multipart), which also
/// sets the `Content-Type` header with the boundary.
///
/// The boundary is derived from the parts' contents (no randomness is used,
/// so runs stay reproducible) and is checked not to appear in any of them.
///
/// # Example
///
/// ```
/// use wasmload_guest::Multipart;
///
/// let form = Multipart::new()
///     .text("source", "dashboard")
///     .file("file", "customers.csv", "text/csv", b"email\nuser0@example.com\n".to_vec());
/// let (content_type, body) = form.encode();
///
/// let boundary = form.boundary();
/// assert_eq!(content_type, format!("multipart/form-data; boundary={boundary}"));
/// let body = String::from_utf8(body).unwrap();
/// assert_eq!(
///     body,
///     format!(
///         "--{b}\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\ndashboard\r\n\
///          --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"customers.csv\"\r\n\
///          Content-Type: text/csv\r\n\r\nemail\nuser0@example.com\n\r\n\
///          --{b}--\r\n",
///         b = boundary
///     )
/// );
/// ```
#[derive(Clone, Default)]
pub struct Multipart {
    parts: Vec<Part>,
}

#[derive(Clone)]
struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: Vec<u8>,
}

impl Multipart {
    /// An empty form.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::Multipart;
    ///
    /// let (_, body) = Multipart::new().encode();
    /// assert!(String::from_utf8(body).unwrap().ends_with("--\r\n"));
    /// ```
    pub fn new() -> Self {
        Multipart::default()
    }

    /// Adds a text field (`requests`' `data={name: value}`).
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::Multipart;
    ///
    /// let form = Multipart::new().text("send_welcome_email", "false");
    /// let body = String::from_utf8(form.encode().1).unwrap();
    /// assert!(body.contains("name=\"send_welcome_email\"\r\n\r\nfalse\r\n"));
    /// ```
    #[must_use]
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parts.push(Part {
            name: name.into(),
            filename: None,
            content_type: None,
            data: value.into().into_bytes(),
        });
        self
    }

    /// Adds a file (`requests`' `files={name: (filename, data, content_type)}`).
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::Multipart;
    ///
    /// let form = Multipart::new().file("file", "a.csv", "text/csv", "x,y\n");
    /// let body = String::from_utf8(form.encode().1).unwrap();
    /// assert!(body.contains("name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nx,y\n\r\n"));
    /// ```
    #[must_use]
    pub fn file(
        mut self,
        name: impl Into<String>,
        filename: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<Vec<u8>>,
    ) -> Self {
        self.parts.push(Part {
            name: name.into(),
            filename: Some(filename.into()),
            content_type: Some(content_type.into()),
            data: data.into(),
        });
        self
    }

    /// The boundary [`encode`](Multipart::encode) uses: it depends only on
    /// the parts, and appears in none of them.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::Multipart;
    ///
    /// let form = Multipart::new().text("a", "b");
    /// assert_eq!(form.boundary(), form.clone().boundary());
    /// assert!(form.boundary().starts_with("wasmload-"));
    /// ```
    pub fn boundary(&self) -> String {
        let mut hash = Fnv::new();
        for part in &self.parts {
            hash.write(part.name.as_bytes());
            hash.write(&[0]);
            if let Some(filename) = &part.filename {
                hash.write(filename.as_bytes());
            }
            hash.write(&[0]);
            hash.write(&part.data);
            hash.write(&[0xff]);
        }
        let mut attempt: u64 = 0;
        loop {
            let mut candidate_hash = hash.clone();
            candidate_hash.write(&attempt.to_le_bytes());
            let candidate = format!("wasmload-{:016x}", candidate_hash.finish());
            if !self.parts.iter().any(|part| part.contains(&candidate)) {
                return candidate;
            }
            attempt += 1;
        }
    }

    /// Encodes the form: returns the `Content-Type` header value (with the
    /// boundary) and the body.
    ///
    /// # Example
    ///
    /// ```
    /// use wasmload_guest::Multipart;
    ///
    /// let (content_type, body) = Multipart::new().text("k", "v").encode();
    /// assert!(content_type.starts_with("multipart/form-data; boundary=wasmload-"));
    /// assert!(!body.is_empty());
    /// ```
    pub fn encode(&self) -> (String, Vec<u8>) {
        let boundary = self.boundary();
        let mut body = Vec::with_capacity(
            self.parts
                .iter()
                .map(|p| p.data.len() + p.name.len() + 128)
                .sum::<usize>()
                + boundary.len()
                + 8,
        );
        for part in &self.parts {
            body.extend_from_slice(b"--");
            body.extend_from_slice(boundary.as_bytes());
            body.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
            body.extend_from_slice(escape_quoted(&part.name).as_bytes());
            body.push(b'"');
            if let Some(filename) = &part.filename {
                body.extend_from_slice(b"; filename=\"");
                body.extend_from_slice(escape_quoted(filename).as_bytes());
                body.push(b'"');
            }
            body.extend_from_slice(b"\r\n");
            if let Some(content_type) = &part.content_type {
                body.extend_from_slice(b"Content-Type: ");
                body.extend_from_slice(header_value(content_type).as_bytes());
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(b"\r\n");
            body.extend_from_slice(&part.data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"--");
        body.extend_from_slice(boundary.as_bytes());
        body.extend_from_slice(b"--\r\n");
        (format!("multipart/form-data; boundary={boundary}"), body)
    }
}

impl Part {
    fn contains(&self, needle: &str) -> bool {
        let needle = needle.as_bytes();
        let in_bytes = |haystack: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
        in_bytes(&self.data)
            || in_bytes(self.name.as_bytes())
            || self
                .filename
                .as_deref()
                .is_some_and(|f| in_bytes(f.as_bytes()))
            || self
                .content_type
                .as_deref()
                .is_some_and(|c| in_bytes(c.as_bytes()))
    }
}

impl fmt::Debug for Multipart {
    /// Lists the parts with their sizes, not their contents.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for part in &self.parts {
            list.entry(&format_args!(
                "{:?}{} ({} bytes)",
                part.name,
                part.filename
                    .as_deref()
                    .map(|name| format!(" file {name:?}"))
                    .unwrap_or_default(),
                part.data.len()
            ));
        }
        list.finish()
    }
}

/// Escapes a quoted-string parameter the way browsers do (WHATWG HTML's
/// multipart/form-data encoding): `"` → `%22`, CR → `%0D`, LF → `%0A`.
fn escape_quoted(value: &str) -> String {
    value
        .replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Drops CR and LF so that a value cannot start a new header line.
fn header_value(value: &str) -> String {
    value.chars().filter(|c| *c != '\r' && *c != '\n').collect()
}

/// FNV-1a, 64 bits: a small, stable, dependency-free hash.
#[derive(Clone)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_never_appears_in_a_part() {
        let first = Multipart::new().text("a", "b");
        let boundary = first.boundary();
        // A part that contains the boundary the same parts would otherwise
        // get still yields a boundary absent from every part.
        let tricky = Multipart::new()
            .text("a", "b")
            .text("copy", boundary.clone());
        let chosen = tricky.boundary();
        assert!(!tricky.parts.iter().any(|p| p.contains(&chosen)));
        let (_, body) = tricky.encode();
        let body = String::from_utf8(body).unwrap_or_default();
        assert_eq!(body.matches(&format!("--{chosen}")).count(), 3);
    }

    #[test]
    fn names_are_escaped() {
        let form = Multipart::new().file("f\"x", "a\r\nb.csv", "text/csv\r\nX: y", "");
        let body = String::from_utf8(form.encode().1).unwrap_or_default();
        assert!(body.contains("name=\"f%22x\"; filename=\"a%0D%0Ab.csv\"\r\n"));
        assert!(body.contains("Content-Type: text/csvX: y\r\n"));
    }
}
