//! Log lines collected in memory and written out in batches, without waking a thread per line.
//!
//! A request appends its line to a shared buffer (one uncontended lock, one copy). A flusher
//! thread writes the buffer out every [`FLUSH_INTERVAL`]; a request whose line takes the
//! buffer past [`MAX_BUFFERED`] writes it out itself (so memory stays bounded and a stalled
//! stdout slows requests down instead of growing the buffer). Dropping the [`Guard`] writes
//! out what is left.
//!
//! Why not `tracing_appender::non_blocking`: its channel wakes the writer thread for nearly
//! every line at the rates a webhook sees, and on two cores that wake-up (a futex, a context
//! switch, the writer competing with the request threads) cost more than the rest of the
//! request: 50 us of CPU per request with it against 28 us with no log at all, at maximum
//! rate. A line written here reaches stdout at most [`FLUSH_INTERVAL`] later; a
//! process killed by SIGKILL loses at most that much.

use std::io::{self, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

use super::log::MAX_LINE_BYTES;

/// How long a line may wait in memory.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(50);

/// Past this many buffered bytes, the request that adds a line writes the buffer out itself.
pub const MAX_BUFFERED: usize = 256 * 1024;

struct Shared {
    /// Lines not yet written.
    pending: Mutex<Vec<u8>>,
    /// The output; held while a batch is written, so batches go out in the order taken.
    out: Mutex<Box<dyn Write + Send>>,
}

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves bytes, never a broken invariant: keep going.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Writes out everything pending. Errors (stdout closed) drop the batch: logging must
    /// never fail a request.
    fn flush(&self) {
        let mut out = lock(&self.out);
        let batch = {
            let mut pending = lock(&self.pending);
            if pending.is_empty() {
                return;
            }
            std::mem::replace(&mut *pending, Vec::with_capacity(INITIAL_CAPACITY))
        };
        let _ = out.write_all(&batch);
        let _ = out.flush();
    }
}

/// What the buffer starts with after each batch: a second's worth of lines at 200 per second.
const INITIAL_CAPACITY: usize = 64 * 1024;

/// How long dropping the [`Guard`] waits for the flusher's last batch: a stdout that no
/// longer reads (a stalled log pipe) must not keep the process from exiting.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(1);

/// The process's batched writer, for [`flush_now`].
static INSTALLED: OnceLock<Arc<Shared>> = OnceLock::new();

/// Writes out the pending lines of the writer [`init`] installed, now: for exit paths that
/// run no destructors (`std::process::exit`). Waits at most as long as the output does.
pub fn flush_now() {
    if let Some(shared) = INSTALLED.get() {
        shared.flush();
    }
}

/// [`batched`] to stdout, remembered for [`flush_now`].
pub fn init() -> io::Result<(BatchWriter, Guard)> {
    let (writer, guard) = batched(Box::new(io::stdout()))?;
    let _ = INSTALLED.set(writer.shared.clone());
    Ok((writer, guard))
}

/// The `MakeWriter` for tracing-subscriber: each event's line is appended to the buffer.
#[derive(Clone)]
pub struct BatchWriter {
    shared: Arc<Shared>,
}

/// Keeps the flusher running; dropping it stops the flusher and writes out what is left.
#[must_use = "dropping the guard stops the log flusher"]
pub struct Guard {
    stop: Option<mpsc::Sender<()>>,
    /// Told when the flusher has written its last batch.
    finished: mpsc::Receiver<()>,
    flusher: Option<JoinHandle<()>>,
}

/// A writer to `out` and the guard of its flusher thread.
pub fn batched(out: Box<dyn Write + Send>) -> io::Result<(BatchWriter, Guard)> {
    let shared = Arc::new(Shared {
        pending: Mutex::new(Vec::with_capacity(INITIAL_CAPACITY)),
        out: Mutex::new(out),
    });
    let (stop, stopped) = mpsc::channel::<()>();
    let (done, finished) = mpsc::channel::<()>();
    let flusher = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("eastwest-guard-log".to_owned())
            .spawn(move || {
                // Ends when the guard is dropped, with a last batch.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(FLUSH_INTERVAL) {
                    shared.flush();
                }
                shared.flush();
                let _ = done.send(());
            })?
    };
    Ok((
        BatchWriter {
            shared: shared.clone(),
        },
        Guard {
            stop: Some(stop),
            finished,
            flusher: Some(flusher),
        },
    ))
}

impl Drop for Guard {
    fn drop(&mut self) {
        drop(self.stop.take());
        // The flusher writes the last batch; if the output is stuck, leave it (the process is
        // exiting) rather than wait for ever.
        if self.finished.recv_timeout(SHUTDOWN_WAIT).is_ok()
            && let Some(flusher) = self.flusher.take()
        {
            let _ = flusher.join();
        }
    }
}

/// What ends a line cut at [`MAX_LINE_BYTES`].
const CUT_MARK: &[u8] = "…\n".as_bytes();

/// One event's writer. tracing-subscriber formats an event's whole line, then writes it with
/// one `write_all`, so a line is appended whole and lines never interleave; one longer than
/// [`MAX_LINE_BYTES`] is cut to it.
pub struct LineWriter<'a> {
    shared: &'a Shared,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let full = {
            let mut pending = lock(&self.shared.pending);
            if bytes.len() <= MAX_LINE_BYTES {
                pending.extend_from_slice(bytes);
            } else {
                // The JSON formatter keeps its lines within the cap; this is for the text
                // format's (a long span list, say): cut, marked, still one line.
                let mut cut = MAX_LINE_BYTES - CUT_MARK.len();
                while cut > 0 && (bytes[cut] & 0xc0) == 0x80 {
                    cut -= 1;
                }
                pending.extend_from_slice(&bytes[..cut]);
                pending.extend_from_slice(CUT_MARK);
            }
            pending.len() >= MAX_BUFFERED
        };
        if full {
            self.shared.flush();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Lines are flushed by the flusher, not per event.
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchWriter {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            shared: &self.shared,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output the test can read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            lock(&self.0).extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(lock(&self.0).clone()).unwrap()
        }
    }

    #[test]
    fn every_line_is_written_once_in_order_by_the_time_the_guard_is_dropped() {
        let out = Captured::default();
        let (writer, guard) = batched(Box::new(out.clone())).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..20_000 {
                        // tracing-subscriber writes each event's line with one call.
                        let line = format!("{t} {i}\n");
                        writer.make_writer().write_all(line.as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop(guard);
        let text = out.text();
        let mut next = [0usize; 4];
        let mut lines = 0;
        for line in text.lines() {
            let (t, i) = line.split_once(' ').unwrap();
            let (t, i): (usize, usize) = (t.parse().unwrap(), i.parse().unwrap());
            assert_eq!(i, next[t], "thread {t}'s lines out of order or lost");
            next[t] += 1;
            lines += 1;
        }
        assert_eq!(lines, 80_000);
        // 80,000 lines of ~8 bytes passed the cap: some batches were written by the writers.
        assert!(text.len() > MAX_BUFFERED);
    }

    #[test]
    fn a_line_reaches_the_output_within_a_few_flush_intervals_without_more_lines() {
        let out = Captured::default();
        let (writer, _guard) = batched(Box::new(out.clone())).unwrap();
        writer.make_writer().write_all(b"one line\n").unwrap();
        let deadline = std::time::Instant::now() + FLUSH_INTERVAL * 100;
        while out.text().is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "the flusher never wrote the line"
            );
            std::thread::sleep(FLUSH_INTERVAL / 5);
        }
        assert_eq!(out.text(), "one line\n");
    }

    #[test]
    fn a_stuck_output_does_not_keep_the_guard_from_dropping() {
        /// An output that never returns from a write (a log pipe nobody reads).
        struct Stuck(mpsc::Receiver<()>);
        impl Write for Stuck {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                let _ = self.0.recv();
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let (release, stuck) = mpsc::channel();
        let (writer, guard) = batched(Box::new(Stuck(stuck))).unwrap();
        writer.make_writer().write_all(b"a line\n").unwrap();
        // Let the flusher take the line and block in the write.
        std::thread::sleep(FLUSH_INTERVAL * 3);
        let started = std::time::Instant::now();
        drop(guard);
        assert!(
            started.elapsed() < SHUTDOWN_WAIT * 5,
            "dropping the guard waited for the output"
        );
        drop(release);
    }

    #[test]
    fn a_line_over_the_cap_is_cut_to_it_and_stays_one_line() {
        let out = Captured::default();
        let (writer, guard) = batched(Box::new(out.clone())).unwrap();
        let long = format!(
            "{}é{}\n",
            "a".repeat(MAX_LINE_BYTES - 4),
            "b".repeat(100_000)
        );
        writer.make_writer().write_all(long.as_bytes()).unwrap();
        writer.make_writer().write_all(b"next\n").unwrap();
        drop(guard);
        let text = out.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].len() < MAX_LINE_BYTES, "{}", lines[0].len());
        assert!(lines[0].ends_with('…'));
        assert_eq!(lines[1], "next");
    }

    #[test]
    fn a_failing_output_drops_lines_without_failing_the_writer() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"))
            }
        }
        let (writer, guard) = batched(Box::new(Broken)).unwrap();
        for _ in 0..(MAX_BUFFERED / 10) {
            writer.make_writer().write_all(b"0123456789\n").unwrap();
        }
        drop(guard);
    }
}
