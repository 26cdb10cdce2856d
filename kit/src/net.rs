//! Loopback plumbing for demos and tests that start servers of their own.

use std::io;
use std::net::{Ipv4Addr, TcpListener};

/// A port on 127.0.0.1 that was free a moment ago: the OS picks it for a
/// listener bound to port 0, which is closed again at once.
///
/// Another process may take the port before the caller binds it; callers
/// that start a server on it (redis-server, a timely peer) check that the
/// server came up and say which port when it did not.
///
/// # Errors
/// When no socket can be bound on the loopback address.
pub fn free_loopback_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_port_can_be_bound_on_loopback() -> io::Result<()> {
        let port = free_loopback_port()?;
        assert_ne!(port, 0);
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))?;
        assert_eq!(listener.local_addr()?.port(), port);
        Ok(())
    }
}
