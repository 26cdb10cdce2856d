//! A `Write` into memory that several owners share: how the runner holds a
//! topic's story until the topic ends, and how tests read what was printed
//! or logged.

use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Bytes written through any clone land in the same buffer.
#[derive(Debug, Clone, Default)]
pub struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    /// What was written so far, as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }

    /// Takes what was written so far, leaving the buffer empty.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.bytes())
    }

    fn bytes(&self) -> MutexGuard<'_, Vec<u8>> {
        // A writer that panicked mid-write leaves whole bytes behind; the
        // text is still worth reading.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_buffer_and_take_empties_it() -> std::io::Result<()> {
        let buffer = SharedBuffer::default();
        let mut writer = buffer.clone();
        writer.write_all("héllo ".as_bytes())?;
        buffer.clone().write_all(b"world")?;
        assert_eq!(buffer.text(), "héllo world");
        assert_eq!(buffer.take(), "héllo world".as_bytes());
        assert_eq!(buffer.text(), "");
        Ok(())
    }
}
