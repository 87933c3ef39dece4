//! `verify` of stdin, one token per line, at the speed of the signature check.
//!
//! Three kinds of threads, no task per token:
//! - the reader (its own thread) cuts stdin into chunks of up to [`CHUNK_TOKENS`] tokens and
//!   hands them to the workers; before every read that may block it hands over what it has and
//!   tells the writer to flush once everything before that point is written;
//! - one worker per core verifies a chunk synchronously, token after token, when the key is
//!   local or cached (the common case: a PEM key or a warm JWKS), and formats each result into
//!   the chunk's output buffer; a token that needs the network (opaque `mt_`/`oat_`/`ak_`, a
//!   cold JWKS) goes to the async runtime, at most [`NETWORK_CONCURRENCY`] at a time;
//! - the writer (the calling thread) writes results in input order through one buffered writer
//!   as soon as a result and all before it are done.
//!
//! Memory is bounded by a window of [`WINDOW_CHUNKS`] chunks between the reader and the writer
//! (a credit per chunk), not by the input size.
//!
//! Measured on the 2-core dev machine (`cargo xtask bench cli`): a task per token on the
//! multi-thread runtime spent 20% of the time in futex wake-ups and buffered every result until
//! EOF (818 MB RSS for 200k tokens). This design, with aws-lc-rs, per CPU second against
//! `openssl speed rsa2048` verify in the same run: 50,000 distinct RS256-2048 tokens at 0.84x
//! on one pinned core with the default flags (the verified-token cache admits a token only at
//! its second check, so distinct tokens cost it nothing; with moka and admission at the first
//! check it was 0.65x), 2.00x that on two cores; 1,000,000 lines of 20,000 tokens repeated at
//! 5.0x; peak RSS 57 MiB over 1,000,000 tokens (the cache full), 51 MiB over the repeated ones.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufWriter, Write};
use std::num::NonZeroUsize;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use clerk_m2m::{MachineAuth, is_jwt_format};

use super::lines::{Line, LineReader};
use super::out::stdout_error;
use super::verify::{Rendered, render, render_rejection};
use super::{Exit, Failure};

/// Tokens per chunk: enough that handing a chunk between threads (a channel send, a wake-up)
/// costs well under 1% of verifying it (64 × ~20 µs).
const CHUNK_TOKENS: usize = 64;
/// Bytes of token text per chunk, so that a chunk of long lines stays small.
const CHUNK_BYTES: usize = 128 * 1024;
/// Chunks between the reader and the writer: 2,048 tokens of ~1 KiB, or at most
/// 32 × (128 KiB + one line) of text, whatever the input size.
const WINDOW_CHUNKS: usize = 32;
/// Backend API calls (and JWKS waits) in flight at once, as before.
const NETWORK_CONCURRENCY: usize = 64;
/// Output buffer: flushed when full, when the input stalls and at the end.
const OUT_BUFFER: usize = 64 * 1024;

/// What `verify` reads from stdin: the verifier and how to print.
pub(crate) struct Batch {
    pub(crate) auth: MachineAuth,
    pub(crate) json: bool,
    pub(crate) max_line: usize,
}

/// One input line that needs a result.
enum Entry {
    /// A trimmed, non-empty token: its range in the chunk's text.
    Token(Range<usize>),
    NotUtf8,
    TooLong,
}

struct Chunk {
    /// The sequence number of the first entry.
    first: u64,
    text: String,
    entries: Vec<Entry>,
}

impl Chunk {
    fn new(first: u64) -> Self {
        Self {
            first,
            text: String::new(),
            entries: Vec::new(),
        }
    }
}

/// A result of a chunk entry: its line is in the chunk's buffer up to `end`, or it will come as
/// a [`Msg::Single`].
enum Done {
    Line { end: usize, ok: bool },
    Pending,
}

struct ChunkOut {
    first: u64,
    buf: Vec<u8>,
    done: Vec<Done>,
}

/// What the writer hears.
enum Msg {
    Chunk(ChunkOut),
    Single {
        seq: u64,
        line: Vec<u8>,
        ok: bool,
    },
    /// Flush once every entry before this sequence number is written: the input may stall.
    FlushAt(u64),
    /// The input ended after `total` entries (with the read error that ended it, if any).
    End {
        total: u64,
        error: Option<std::io::Error>,
    },
}

/// What the workers and the network tasks share.
struct Shared {
    auth: MachineAuth,
    json: bool,
    runtime: tokio::runtime::Handle,
    network: tokio::sync::Semaphore,
    /// JWTs on the network path now: while a JWKS fetch is under way, later JWTs join it there
    /// instead of each starting (and dropping) a fetch of their own on the synchronous path.
    network_jwts: AtomicUsize,
    stop: AtomicBool,
}

impl Batch {
    /// Verifies every non-empty line of stdin; exit 0 if all verified, 1 if any was rejected.
    pub(crate) fn run(self, runtime: &tokio::runtime::Runtime) -> Result<Exit, Failure> {
        let workers = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let shared = Arc::new(Shared {
            auth: self.auth,
            json: self.json,
            runtime: runtime.handle().clone(),
            network: tokio::sync::Semaphore::new(NETWORK_CONCURRENCY),
            network_jwts: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let (msg_tx, msg_rx) = mpsc::channel();
        let (chunk_tx, chunk_rx) = mpsc::channel();
        let (credit_tx, credit_rx) = mpsc::sync_channel(WINDOW_CHUNKS);
        let chunk_rx = Arc::new(Mutex::new(chunk_rx));

        let reader = Reader {
            chunk: Chunk::new(0),
            chunk_tx,
            credit_tx,
            msg_tx: msg_tx.clone(),
            flushed_at: 0,
        };
        let max_line = self.max_line;
        // Not joined: after a closed stdout it may sit in a read that never returns.
        std::thread::Builder::new()
            .name("clerk-m2m-stdin".into())
            .spawn(move || reader.run(max_line))
            .map_err(|e| Failure::usage(format!("cannot start the stdin reader: {e}")))?;

        let mut handles = Vec::with_capacity(workers);
        for i in 0..workers {
            let (shared, rx, tx) = (Arc::clone(&shared), Arc::clone(&chunk_rx), msg_tx.clone());
            let h = std::thread::Builder::new()
                .name(format!("clerk-m2m-verify-{i}"))
                .spawn(move || work(&shared, &rx, &tx));
            match h {
                Ok(h) => handles.push(h),
                // Fewer workers is slower, not wrong; none at all cannot work.
                Err(e) if handles.is_empty() => {
                    return Err(Failure::usage(format!("cannot start a worker: {e}")));
                }
                Err(_) => break,
            }
        }
        drop(msg_tx);

        let result = write_in_order(&msg_rx, &credit_rx);
        // Workers stop at the next token (a closed stdout) or when the input is done; wait for
        // them so that no signature check is running while the process exits.
        shared.stop.store(true, Ordering::Relaxed);
        drop(msg_rx);
        drop(credit_rx);
        for h in handles {
            let _ = h.join();
        }
        result
    }
}

struct Reader {
    chunk: Chunk,
    chunk_tx: Sender<Chunk>,
    credit_tx: SyncSender<()>,
    msg_tx: Sender<Msg>,
    /// The sequence number of the last flush request.
    flushed_at: u64,
}

/// The writer is gone (stdout closed): stop reading.
fn gone<T>(_: T) -> std::io::Error {
    std::io::Error::other("the writer stopped")
}

impl Reader {
    fn run(mut self, max_line: usize) {
        let stdin = std::io::stdin().lock();
        let mut lines = LineReader::new(stdin, max_line);
        let error = loop {
            let line = match lines.next_line(|| self.stall()) {
                Ok(Some(line)) => line,
                Ok(None) => break None,
                Err(e) => break Some(e),
            };
            let entry = match line {
                Line::TooLong => Entry::TooLong,
                Line::Bytes(b) => match std::str::from_utf8(b) {
                    Ok(s) => {
                        let token = s.trim();
                        if token.is_empty() {
                            continue;
                        }
                        let start = self.chunk.text.len();
                        self.chunk.text.push_str(token);
                        Entry::Token(start..self.chunk.text.len())
                    }
                    Err(_) => Entry::NotUtf8,
                },
            };
            self.chunk.entries.push(entry);
            let full =
                self.chunk.entries.len() >= CHUNK_TOKENS || self.chunk.text.len() >= CHUNK_BYTES;
            if full && let Err(e) = self.dispatch() {
                break Some(e);
            }
        };
        if self.dispatch().is_err() {
            return;
        }
        let total = self.chunk.first;
        let _ = self.msg_tx.send(Msg::End { total, error });
    }

    /// Hands the current chunk to the workers (waiting for a credit when the window is full).
    fn dispatch(&mut self) -> std::io::Result<()> {
        if self.chunk.entries.is_empty() {
            return Ok(());
        }
        self.credit_tx.send(()).map_err(gone)?;
        let next = self.chunk.first + self.chunk.entries.len() as u64;
        let chunk = std::mem::replace(&mut self.chunk, Chunk::new(next));
        self.chunk_tx.send(chunk).map_err(gone)
    }

    /// Before a read that may block: what was read so far goes out, and is flushed when done.
    fn stall(&mut self) -> std::io::Result<()> {
        self.dispatch()?;
        if self.chunk.first > self.flushed_at {
            self.flushed_at = self.chunk.first;
            self.msg_tx
                .send(Msg::FlushAt(self.flushed_at))
                .map_err(gone)?;
        }
        Ok(())
    }
}

/// A worker: verifies the chunks it takes, until the input ends or the writer stops.
fn work(shared: &Arc<Shared>, chunks: &Mutex<Receiver<Chunk>>, tx: &Sender<Msg>) {
    // The first poll of a verification may create tokio timers (a JWKS fetch's timeout).
    let _runtime = shared.runtime.enter();
    loop {
        let next = {
            let rx = chunks.lock().unwrap_or_else(PoisonError::into_inner);
            rx.recv_timeout(Duration::from_millis(50))
        };
        let chunk = match next {
            Ok(chunk) => chunk,
            Err(RecvTimeoutError::Timeout) if !shared.stop.load(Ordering::Relaxed) => continue,
            Err(_) => return,
        };
        let Some(out) = verify_chunk(shared, &chunk, tx) else {
            return;
        };
        if tx.send(Msg::Chunk(out)).is_err() {
            return;
        }
    }
}

/// Verifies a chunk; `None` when told to stop.
fn verify_chunk(shared: &Arc<Shared>, chunk: &Chunk, tx: &Sender<Msg>) -> Option<ChunkOut> {
    // ~500 bytes per JSON result.
    let mut buf = Vec::with_capacity(chunk.entries.len() * 512);
    let mut done = Vec::with_capacity(chunk.entries.len());
    for (seq, entry) in (chunk.first..).zip(&chunk.entries) {
        if shared.stop.load(Ordering::Relaxed) {
            return None;
        }
        let rendered = match entry {
            Entry::Token(r) => {
                let token = &chunk.text[r.clone()];
                let local = if shared.network_jwts.load(Ordering::Relaxed) == 0 {
                    shared.auth.try_verify_local(token)
                } else {
                    None
                };
                match local {
                    Some(result) => render(&result, shared.json, &mut buf),
                    None => {
                        verify_on_network(shared, seq, token.to_owned(), tx.clone());
                        done.push(Done::Pending);
                        continue;
                    }
                }
            }
            Entry::NotUtf8 => render_rejection("Token is not valid UTF-8", shared.json, &mut buf),
            Entry::TooLong => render_rejection(
                "Line is longer than --max-line-bytes; skipped",
                shared.json,
                &mut buf,
            ),
        };
        done.push(Done::Line {
            end: buf.len(),
            ok: rendered == Rendered::Ok,
        });
    }
    Some(ChunkOut {
        first: chunk.first,
        buf,
        done,
    })
}

/// Verifies a token on the async runtime; the result comes to the writer as a [`Msg::Single`].
fn verify_on_network(shared: &Arc<Shared>, seq: u64, token: String, tx: Sender<Msg>) {
    let jwt = is_jwt_format(&token);
    if jwt {
        shared.network_jwts.fetch_add(1, Ordering::Relaxed);
    }
    let s = Arc::clone(shared);
    shared.runtime.spawn(async move {
        // The semaphore is never closed; without a permit the call would go ahead anyway.
        let permit = s.network.acquire().await.ok();
        let result = s.auth.verify_machine_token(&token).await;
        drop(permit);
        if jwt {
            s.network_jwts.fetch_sub(1, Ordering::Relaxed);
        }
        let mut line = Vec::new();
        let ok = render(&result, s.json, &mut line) == Rendered::Ok;
        let _ = tx.send(Msg::Single { seq, line, ok });
    });
}

/// The writer: prints results in input order; returns the exit status.
fn write_in_order(rx: &Receiver<Msg>, credits: &Receiver<()>) -> Result<Exit, Failure> {
    let mut out = BufWriter::with_capacity(OUT_BUFFER, std::io::stdout().lock());
    let mut w = Order::default();
    let mut total = None;
    let mut read_error = None;
    let mut flush_at = None;
    loop {
        w.advance(&mut out, credits).map_err(stdout_error)?;
        if flush_at.is_some_and(|f| w.next >= f) {
            out.flush().map_err(stdout_error)?;
            flush_at = None;
        }
        if total == Some(w.next) {
            break;
        }
        match rx.recv() {
            Ok(Msg::Chunk(c)) => {
                w.chunks.insert(c.first, c);
            }
            Ok(Msg::Single { seq, line, ok }) => {
                w.singles.insert(seq, (line, ok));
            }
            Ok(Msg::FlushAt(seq)) => flush_at = Some(seq),
            Ok(Msg::End { total: t, error }) => {
                total = Some(t);
                read_error = error;
            }
            // Every sender is gone before the end: a worker or the reader died.
            Err(_) => {
                out.flush().map_err(stdout_error)?;
                return Err(Failure::usage("verification stopped unexpectedly"));
            }
        }
    }
    out.flush().map_err(stdout_error)?;
    if let Some(e) = read_error {
        return Err(Failure::usage(format!("cannot read stdin: {e}")));
    }
    if w.next == 0 {
        return Err(Failure::usage("no token given (argument or stdin)"));
    }
    Ok(if w.all_ok { Exit::Ok } else { Exit::Rejected })
}

/// The results that arrived out of order, and where printing is.
struct Order {
    /// The next sequence number to print.
    next: u64,
    /// The chunk being printed, with its next entry and the start of that entry's line.
    current: Option<(ChunkOut, usize, usize)>,
    chunks: BTreeMap<u64, ChunkOut>,
    singles: HashMap<u64, (Vec<u8>, bool)>,
    all_ok: bool,
}

impl Default for Order {
    fn default() -> Self {
        Self {
            next: 0,
            current: None,
            chunks: BTreeMap::new(),
            singles: HashMap::new(),
            all_ok: true,
        }
    }
}

impl Order {
    /// Prints every result that is ready in order; returns a credit per finished chunk.
    fn advance(&mut self, out: &mut impl Write, credits: &Receiver<()>) -> std::io::Result<()> {
        loop {
            if self.current.is_none() {
                match self.chunks.remove(&self.next) {
                    Some(c) => self.current = Some((c, 0, 0)),
                    None => return Ok(()),
                }
            }
            let Some((chunk, i, start)) = self.current.as_mut() else {
                return Ok(());
            };
            // Consecutive lines already in the chunk's buffer go out in one write.
            let run_start = *start;
            while let Some(Done::Line { end, ok }) = chunk.done.get(*i) {
                self.all_ok &= *ok;
                *start = *end;
                *i += 1;
            }
            out.write_all(&chunk.buf[run_start..*start])?;
            self.next = chunk.first + *i as u64;
            if *i == chunk.done.len() {
                self.current = None;
                let _ = credits.try_recv();
                continue;
            }
            // A pending entry: printed when its result has come.
            match self.singles.remove(&self.next) {
                Some((line, ok)) => {
                    out.write_all(&line)?;
                    self.all_ok &= ok;
                    *i += 1;
                    self.next += 1;
                    if *i == chunk.done.len() {
                        self.current = None;
                        let _ = credits.try_recv();
                    }
                }
                None => return Ok(()),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn chunk(first: u64, lines: &[Option<&str>]) -> ChunkOut {
        let mut buf = Vec::new();
        let mut done = Vec::new();
        for l in lines {
            match l {
                Some(l) => {
                    buf.extend_from_slice(l.as_bytes());
                    done.push(Done::Line {
                        end: buf.len(),
                        ok: !l.starts_with('!'),
                    });
                }
                None => done.push(Done::Pending),
            }
        }
        ChunkOut { first, buf, done }
    }

    #[test]
    fn prints_in_input_order_whatever_the_arrival_order() {
        let (credit_tx, credits) = mpsc::sync_channel(4);
        for _ in 0..3 {
            credit_tx.send(()).unwrap();
        }
        let mut w = Order::default();
        let mut out = Vec::new();
        w.chunks.insert(3, chunk(3, &[Some("d"), None]));
        w.advance(&mut out, &credits).unwrap();
        assert!(out.is_empty(), "chunk 0 is not there yet");
        w.chunks.insert(0, chunk(0, &[Some("a"), None, Some("!c")]));
        w.advance(&mut out, &credits).unwrap();
        assert_eq!(out, b"a");
        assert_eq!(w.next, 1);
        w.singles.insert(4, (b"e".to_vec(), true));
        w.advance(&mut out, &credits).unwrap();
        assert_eq!(out, b"a", "4 waits for 1");
        w.singles.insert(1, (b"b".to_vec(), true));
        w.advance(&mut out, &credits).unwrap();
        assert_eq!(out, b"ab!cde");
        assert_eq!(w.next, 5);
        assert!(!w.all_ok);
        assert!(credits.try_recv().is_ok(), "two of three credits returned");
        assert!(credits.try_recv().is_err());
    }
}
