//! Reads that say when their bytes arrived: on Linux the kernel stamps every received
//! segment (`SO_TIMESTAMPNS`) and `recvmsg` hands back the stamp of the last one read, on
//! the wall clock; elsewhere a read carries no stamp and the caller uses the time of the read.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::AsRawFd;

use tokio::net::TcpStream;

/// Switches the kernel's stamping of received packets on for the life of the process. The
/// kernel turns it on lazily, a moment after the first socket asks, so a socket that asks
/// for the first time would miss the stamps of its first packets; one kept open from the
/// start asks early.
pub fn switch_on() {
    static KEEPER: std::sync::OnceLock<Option<std::net::UdpSocket>> = std::sync::OnceLock::new();
    KEEPER.get_or_init(|| {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").ok()?;
        enable(&socket);
        Some(socket)
    });
}

/// Asks the kernel to stamp what `socket` receives; without it reads carry no stamp.
pub fn enable(socket: &impl AsRawFd) {
    #[cfg(target_os = "linux")]
    {
        let on: libc::c_int = 1;
        // SAFETY: a valid socket and an option value of the size passed.
        let _ = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_TIMESTAMPNS,
                std::ptr::from_ref(&on).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = socket;
}

/// One non-blocking read into `buf`: the bytes read and, where the kernel gives it, when the
/// last of them arrived (wall-clock nanoseconds since the Unix epoch).
#[cfg(target_os = "linux")]
pub fn recv(stream: &TcpStream, buf: &mut [MaybeUninit<u8>]) -> io::Result<(usize, Option<u64>)> {
    // Room for one `cmsghdr` and a `timespec`, aligned for both.
    let mut control = [0u64; 8];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: an all-zero `msghdr` is valid; the fields set below point at live buffers.
    let mut header: libc::msghdr = unsafe { std::mem::zeroed() };
    header.msg_iov = &mut iov;
    header.msg_iovlen = 1;
    header.msg_control = control.as_mut_ptr().cast();
    header.msg_controllen = std::mem::size_of_val(&control);
    // SAFETY: the socket is valid and every pointer in `header` outlives the call.
    let read = unsafe { libc::recvmsg(stream.as_raw_fd(), &mut header, libc::MSG_DONTWAIT) };
    if read < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((read as usize, arrival(&header)))
}

/// The `SCM_TIMESTAMPNS` stamp among the control messages of `header`, if there is one.
#[cfg(target_os = "linux")]
fn arrival(header: &libc::msghdr) -> Option<u64> {
    // SAFETY: `header` was filled by `recvmsg`, and the CMSG macros stay within its
    // control buffer.
    unsafe {
        let mut message = libc::CMSG_FIRSTHDR(header);
        while !message.is_null() {
            let entry = &*message;
            if entry.cmsg_level == libc::SOL_SOCKET && entry.cmsg_type == libc::SCM_TIMESTAMPNS {
                let stamp =
                    std::ptr::read_unaligned(libc::CMSG_DATA(message).cast::<libc::timespec>());
                let nanos = u64::try_from(stamp.tv_sec).ok()? * 1_000_000_000
                    + u64::try_from(stamp.tv_nsec).ok()?;
                return Some(nanos);
            }
            message = libc::CMSG_NXTHDR(header, message);
        }
    }
    None
}

/// One non-blocking read into `buf`; no stamp on this system.
#[cfg(not(target_os = "linux"))]
pub fn recv(stream: &TcpStream, buf: &mut [MaybeUninit<u8>]) -> io::Result<(usize, Option<u64>)> {
    // SAFETY: the socket is valid and the buffer outlives the call.
    let read = unsafe {
        libc::recv(
            stream.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            libc::MSG_DONTWAIT,
        )
    };
    if read < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((read as usize, None))
}

#[cfg(test)]
#[cfg(target_os = "linux")]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;

    /// A connected pair on 127.0.0.1, the client's reads stamped.
    async fn pair() -> (TcpStream, TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr"))
            .await
            .expect("connect");
        enable(&client);
        let (server, _) = listener.accept().await.expect("accept");
        (client, server)
    }

    #[tokio::test]
    async fn a_read_carries_the_time_its_bytes_arrived_not_the_time_it_was_made() {
        switch_on();
        // The kernel turns stamping on a moment after it is first asked: wait for it.
        let (probe, mut feeder) = pair().await;
        for _ in 0..500 {
            feeder.write_all(b"?").await.expect("write");
            probe.readable().await.expect("readable");
            let mut byte = [MaybeUninit::uninit(); 1];
            if recv(&probe, &mut byte).expect("read").1.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let (client, mut server) = pair().await;
        server.write_all(b"answer").await.expect("write");
        let sent = crate::broker::net::wall_nanos();
        // The bytes wait in the socket while this thread is busy elsewhere.
        std::thread::sleep(Duration::from_millis(200));
        client.readable().await.expect("readable");
        let mut buf = [MaybeUninit::uninit(); 64];
        let (count, arrived) = recv(&client, &mut buf).expect("read");
        let read_at = crate::broker::net::wall_nanos();
        assert_eq!(count, 6);
        let arrived = arrived.expect("the kernel stamps received bytes");
        assert!(
            arrived <= sent + 50_000_000 && read_at - arrived >= 150_000_000,
            "arrived {} ms after the send, read {} ms after arrival",
            (arrived as f64 - sent as f64) / 1e6,
            (read_at as f64 - arrived as f64) / 1e6
        );
    }
}
