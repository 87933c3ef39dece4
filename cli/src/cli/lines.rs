//! Reading lines of bytes with a length cap: a line longer than the cap is skipped as it streams
//! past (never buffered whole), and the caller hears about every read that may block, so that
//! it can flush its output before waiting for more input.

use std::io::{ErrorKind, Read};

/// The default `--max-line-bytes`: four times the 16 KiB token cap, so that any token the
/// verifier could accept (plus indentation or a CR) fits with room to spare.
pub(crate) const DEFAULT_MAX_LINE: u32 = 64 * 1024;

/// The read size. Large enough that a file or a full pipe is read in few syscalls; a line
/// longer than this is assembled in a side buffer (up to the cap).
const READ_SIZE: usize = 64 * 1024;

/// One line, without its `\n`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line<'a> {
    /// The bytes of a line of at most the cap (a final line without `\n` included).
    Bytes(&'a [u8]),
    /// A line longer than the cap; its bytes were skipped.
    TooLong,
}

pub(crate) struct LineReader<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    /// The start of a line that spans reads.
    partial: Vec<u8>,
    max: usize,
    eof: bool,
}

impl<R: Read> LineReader<R> {
    pub(crate) fn new(inner: R, max: usize) -> Self {
        Self {
            inner,
            buf: vec![0; READ_SIZE].into_boxed_slice(),
            pos: 0,
            filled: 0,
            partial: Vec::new(),
            max,
            eof: false,
        }
    }

    /// The next line, or `None` at the end of input. `before_read` runs before every read from
    /// the underlying reader (the moments the input may stall); an error from it is returned.
    pub(crate) fn next_line(
        &mut self,
        mut before_read: impl FnMut() -> std::io::Result<()>,
    ) -> std::io::Result<Option<Line<'_>>> {
        self.partial.clear();
        // Bytes of this line seen so far (the partial buffer stops growing at the cap).
        let mut len: usize = 0;
        loop {
            if self.pos == self.filled {
                if self.eof {
                    return Ok(None);
                }
                before_read()?;
                let n = loop {
                    match self.inner.read(&mut self.buf) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                };
                self.pos = 0;
                self.filled = n;
                if n == 0 {
                    self.eof = true;
                    // A last line without a newline.
                    return Ok((len > 0).then(|| self.finish(len, None)));
                }
            }
            let start = self.pos;
            let avail = &self.buf[start..self.filled];
            if let Some(i) = memchr::memchr(b'\n', avail) {
                self.pos = start + i + 1;
                return Ok(Some(
                    self.finish(len.saturating_add(i), Some(start..start + i)),
                ));
            }
            len = len.saturating_add(avail.len());
            if len <= self.max {
                self.partial.extend_from_slice(avail);
            }
            self.pos = self.filled;
        }
    }

    /// The line of `len` bytes: `partial` plus `tail` (a range of `buf`).
    fn finish(&mut self, len: usize, tail: Option<std::ops::Range<usize>>) -> Line<'_> {
        if len > self.max {
            return Line::TooLong;
        }
        match tail {
            // The whole line is in the read buffer: no copy.
            Some(r) if self.partial.is_empty() => Line::Bytes(&self.buf[r]),
            Some(r) => {
                self.partial.extend_from_slice(&self.buf[r]);
                Line::Bytes(&self.partial)
            }
            None => Line::Bytes(&self.partial),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reads at most `step` bytes per call, to split lines across reads.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn all(data: &[u8], step: usize, max: usize) -> (Vec<Option<Vec<u8>>>, usize) {
        let mut r = LineReader::new(Trickle { data, step }, max);
        let mut out = Vec::new();
        let mut reads = 0;
        while let Some(l) = r
            .next_line(|| {
                reads += 1;
                Ok(())
            })
            .unwrap()
        {
            out.push(match l {
                Line::Bytes(b) => Some(b.to_vec()),
                Line::TooLong => None,
            });
        }
        (out, reads)
    }

    #[test]
    fn splits_caps_and_keeps_a_last_line_without_newline() {
        let (lines, _) = all(b"ab\n\ncdef\nxyz", 3, 3);
        assert_eq!(
            lines,
            [
                Some(b"ab".to_vec()),
                Some(vec![]),
                None,
                Some(b"xyz".to_vec())
            ]
        );
        let (lines, _) = all(b"", 3, 3);
        assert!(lines.is_empty());
        let (lines, _) = all(b"\xff\xfe\n", 1, 3);
        assert_eq!(lines, [Some(b"\xff\xfe".to_vec())]);
    }

    #[test]
    fn a_long_line_is_not_buffered() {
        let mut data = vec![b'a'; 10 * READ_SIZE];
        data.extend_from_slice(b"\nok\n");
        let mut r = LineReader::new(&data[..], 100);
        assert_eq!(r.next_line(|| Ok(())).unwrap(), Some(Line::TooLong));
        assert!(
            r.partial.capacity() <= READ_SIZE,
            "{}",
            r.partial.capacity()
        );
        assert_eq!(r.next_line(|| Ok(())).unwrap(), Some(Line::Bytes(b"ok")));
        assert_eq!(r.next_line(|| Ok(())).unwrap(), None);
    }

    #[test]
    fn before_read_runs_before_each_read_and_its_error_stops_reading() {
        let (_, reads) = all(b"ab\ncd\n", 2, 10);
        assert_eq!(reads, 4, "3 reads of data and the one that sees the end");
        let mut r = LineReader::new(&b"ab\n"[..], 10);
        let e = r
            .next_line(|| Err(std::io::Error::other("stop")))
            .unwrap_err();
        assert_eq!(e.to_string(), "stop");
    }

    proptest! {
        #[test]
        fn same_lines_as_split_for_any_read_size(
            data in proptest::collection::vec(prop_oneof![Just(b'\n'), any::<u8>()], 0..300),
            step in 1usize..40,
            max in 0usize..20,
        ) {
            let (got, _) = all(&data, step, max);
            let mut want: Vec<Option<Vec<u8>>> = data
                .split(|b| *b == b'\n')
                .map(|l| (l.len() <= max).then(|| l.to_vec()))
                .collect();
            // `split` yields an empty last piece after a final newline (or for empty input).
            if data.last().is_none_or(|b| *b == b'\n') {
                want.pop();
            }
            prop_assert_eq!(got, want);
        }
    }
}
