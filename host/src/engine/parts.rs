//! A component too big for one file of its carrier (a Kubernetes ConfigMap holds about
//! 1 MiB) travels gzipped in numbered parts, `NAME.gz.000`, `NAME.gz.001`, …, beside where
//! the component would be; reading `NAME` then joins and unpacks them.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

/// The most parts one component is read from.
const MAX_PARTS: usize = 1000;

/// The name of part `index` of the component named `name`.
pub fn part_name(name: &str, index: usize) -> String {
    format!("{name}.gz.{index:03}")
}

/// `bytes` gzipped and cut into parts of at most `part_bytes` bytes, in order.
pub fn split(bytes: &[u8], part_bytes: usize) -> std::io::Result<Vec<Vec<u8>>> {
    let mut packed = GzEncoder::new(Vec::new(), Compression::best());
    packed.write_all(bytes)?;
    let packed = packed.finish()?;
    Ok(packed
        .chunks(part_bytes.max(1))
        .map(<[u8]>::to_vec)
        .collect())
}

/// The bytes of the file at `path`, or, when there is none, of the parts beside it.
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    match std::fs::read(path) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            read_parts(path).unwrap_or(Err(err))
        }
        read => read,
    }
}

/// The component joined from the parts beside `path`; `None` if there are none.
fn read_parts(path: &Path) -> Option<std::io::Result<Vec<u8>>> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let part = |index: usize| -> PathBuf { path.with_file_name(part_name(&name, index)) };
    if !part(0).is_file() {
        return None;
    }
    let mut packed = Vec::new();
    for index in (0..MAX_PARTS).take_while(|&index| part(index).is_file()) {
        match std::fs::read(part(index)) {
            Ok(bytes) => packed.extend(bytes),
            Err(err) => return Some(Err(err)),
        }
    }
    let mut bytes = Vec::new();
    Some(
        GzDecoder::new(packed.as_slice())
            .read_to_end(&mut bytes)
            .map(|_| bytes),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_in_parts_reads_as_the_whole() {
        let scratch = crate::test_support::ScratchDir::new("parts");
        let dir = scratch.0.clone();
        let whole: Vec<u8> = (0..200_000u32)
            .flat_map(|n| (n % 251).to_le_bytes())
            .collect();
        let parts = split(&whole, 4096).expect("split");
        assert!(parts.len() > 1 && parts.iter().all(|part| part.len() <= 4096));
        for (index, part) in parts.iter().enumerate() {
            std::fs::write(dir.join(part_name("big.wasm", index)), part).expect("written");
        }
        assert_eq!(read(&dir.join("big.wasm")).expect("joined"), whole);
        let missing = read(&dir.join("other.wasm")).expect_err("no such file");
        assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
        std::fs::write(dir.join(part_name("broken.wasm", 0)), b"not gzip").expect("written");
        assert!(
            read(&dir.join("broken.wasm")).is_err(),
            "a broken part is an error"
        );
    }
}
