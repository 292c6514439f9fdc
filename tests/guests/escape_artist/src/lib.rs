//! `escape_artist`: on each task, tries to reach past the sandbox (read a host file, list
//! the root directory, read a host environment variable, open a TCP connection to the
//! target) and records a check for each attempt that is denied.

use std::io::Read;

use wasmload_guest::prelude::*;

/// A user that tests its walls.
#[derive(Default)]
struct EscapeArtist;

impl User for EscapeArtist {
    fn spec() -> UserSpec<Self> {
        UserSpec::new("EscapeArtist").task("try_escape", 1, Self::try_escape)
    }
}

impl EscapeArtist {
    fn try_escape(&mut self, client: &Client) -> TaskResult {
        let mut contents = String::new();
        let file = std::fs::File::open("/etc/hostname")
            .and_then(|mut file| file.read_to_string(&mut contents));
        check("filesystem denied", file.is_err());
        check("directories denied", std::fs::read_dir("/").is_err());
        check("host environment empty", std::env::vars().next().is_none());
        let target = env_or("TARGET_ADDR", "127.0.0.1:80");
        check(
            "sockets denied",
            std::net::TcpStream::connect(target.as_str()).is_err(),
        );
        // The one door that is open: HTTP through the host, to --host.
        client.get("/health").send()?;
        Ok(())
    }
}

export_user!(EscapeArtist);
