//! Connection slots that a flood cannot fill: at most `cap` are held at once, and when all are
//! taken, a new connection has the one waiting longest on its client closed to make room,
//! instead of waiting behind it.
//!
//! Waiting for a slot to free (as a plain cap does) lets a few hundred sockets that connect
//! and say nothing, re-opened as they are cut, keep every new connection waiting in the
//! kernel's accept queue: kubelet's probes time out, kube-apiserver's calls wait seconds. With
//! eviction the accept queue keeps moving, so a new connection is accepted at once.
//!
//! Only a connection waiting on its client may give way: one that has sent something the
//! server has not finished with (a ClientHello queued for the CPU, a probe being answered) is
//! busy and never is. An honest client answers the server within a round trip, so it is
//! through before it has waited `min_age`; a stalled one waits for ever and goes first, the
//! longest-waiting first.

use std::collections::BTreeMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;

/// A set of at most `cap` slots.
pub struct Slots {
    cap: usize,
    min_age: Duration,
    /// The clock of [`Activity`]: milliseconds since this.
    epoch: Instant,
    held: Mutex<Held>,
    /// Told when a slot is given back.
    freed: Notify,
}

struct Held {
    next: u64,
    /// By age, oldest first.
    slots: BTreeMap<u64, Entry>,
    /// Slots told to give way whose connections have not closed yet: they no longer count
    /// toward `cap` (the accept loop need not wait for their tasks to run), but at most `cap`
    /// of them are outstanding at once.
    leaving: usize,
}

struct Entry {
    evict: Option<oneshot::Sender<()>>,
    activity: Activity,
}

/// What a connection is doing, as its slot sees it: busy, or waiting on its client since
/// when. Cheap to clone and to update (one atomic).
#[derive(Clone)]
pub struct Activity {
    epoch: Instant,
    /// Milliseconds since the epoch, plus one, since the connection waits on its client; 0
    /// while busy.
    waiting_since: Arc<AtomicU64>,
}

impl Activity {
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1) + 1
    }

    /// The server has something of the client's to finish: not to be evicted.
    pub fn busy(&self) {
        self.waiting_since.store(0, Ordering::Release);
    }

    /// Waiting on the client (from now, unless it already was).
    pub fn waiting(&self) {
        let now = self.now();
        let _ = self
            .waiting_since
            .compare_exchange(0, now, Ordering::AcqRel, Ordering::Relaxed);
    }

    /// Whether the server has something of the client's to finish.
    pub fn is_busy(&self) -> bool {
        self.waiting_since.load(Ordering::Acquire) == 0
    }

    /// How long it has waited on its client, if it is.
    fn waited(&self, now: u64) -> Option<Duration> {
        match self.waiting_since.load(Ordering::Acquire) {
            0 => None,
            since => Some(Duration::from_millis(now.saturating_sub(since))),
        }
    }
}

/// A socket that tells its slot's [`Activity`] what its reads find: bytes (busy: the server
/// has the client's request to finish) or nothing yet (waiting on the client).
pub struct Watched<S> {
    inner: S,
    activity: Activity,
}

impl<S> Watched<S> {
    pub fn new(inner: S, activity: Activity) -> Self {
        Watched { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        match &polled {
            Poll::Ready(Ok(())) if buf.filled().len() > before => self.activity.busy(),
            Poll::Pending => self.activity.waiting(),
            _ => {}
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// One slot, given back when dropped.
pub struct Slot {
    slots: Arc<Slots>,
    id: u64,
    /// Completes when the slot is told to give way (the connection should close).
    pub evicted: oneshot::Receiver<()>,
    activity: Activity,
}

impl Slot {
    /// The handle the connection marks itself busy or waiting with. A new slot is waiting
    /// (on its client's first bytes).
    pub fn activity(&self) -> Activity {
        self.activity.clone()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self.slots.lock();
        if held.slots.remove(&self.id).is_none() {
            // Told to give way: it was counted as leaving.
            held.leaving = held.leaving.saturating_sub(1);
        }
        drop(held);
        self.slots.freed.notify_one();
    }
}

impl Slots {
    pub fn new(cap: usize, min_age: Duration) -> Arc<Self> {
        Arc::new(Slots {
            cap: cap.max(1),
            min_age,
            epoch: Instant::now(),
            held: Mutex::new(Held {
                next: 0,
                slots: BTreeMap::new(),
                leaving: 0,
            }),
            freed: Notify::new(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        // A panic while holding the lock leaves a map of slots, never a broken invariant.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Slots held now.
    pub fn len(&self) -> usize {
        self.lock().slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A slot: at once if one is free, else once the slot waiting longest on its client (at
    /// least `min_age`) has been told to give way. `evicted` is called for each slot told.
    pub async fn take(self: &Arc<Self>, mut evicted: impl FnMut()) -> Slot {
        loop {
            // Registered before the check, so a slot freed in between is not missed.
            let freed = self.freed.notified();
            let wait = {
                let mut held = self.lock();
                if held.slots.len() < self.cap {
                    let id = held.next;
                    held.next += 1;
                    let (tx, rx) = oneshot::channel();
                    let activity = Activity {
                        epoch: self.epoch,
                        waiting_since: Arc::new(AtomicU64::new(0)),
                    };
                    activity.waiting();
                    held.slots.insert(
                        id,
                        Entry {
                            evict: Some(tx),
                            activity: activity.clone(),
                        },
                    );
                    return Slot {
                        slots: self.clone(),
                        id,
                        evicted: rx,
                        activity,
                    };
                }
                let mut longest: Option<(u64, Duration)> = None;
                let mut soonest = self.min_age;
                if held.leaving < self.cap {
                    let now = Instant::now()
                        .saturating_duration_since(self.epoch)
                        .as_millis();
                    let now = u64::try_from(now).unwrap_or(u64::MAX - 1) + 1;
                    for (id, entry) in &held.slots {
                        let Some(waited) = entry.activity.waited(now) else {
                            continue;
                        };
                        if waited < self.min_age {
                            soonest = soonest.min(self.min_age - waited);
                        } else if longest.is_none_or(|(_, w)| waited > w) {
                            longest = Some((*id, waited));
                        }
                    }
                }
                match longest.and_then(|(id, _)| held.slots.remove(&id)) {
                    Some(entry) => {
                        held.leaving += 1;
                        if let Some(tx) = entry.evict {
                            let _ = tx.send(());
                        }
                        evicted();
                        // Its slot is free now; its connection closes when its task runs.
                        continue;
                    }
                    // Nothing may give way yet: try again when one may, or a slot is freed.
                    None => soonest.max(Duration::from_millis(1)),
                }
            };
            tokio::select! {
                () = freed => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_set_evicts_the_slot_waiting_longest_on_its_client() {
        let slots = Slots::new(3, Duration::ZERO);
        let mut a = slots.take(|| {}).await;
        let mut b = slots.take(|| {}).await;
        let mut c = slots.take(|| {}).await;
        // `a` is busy; `c` has waited longer than `b` (it went back to waiting first).
        a.activity().busy();
        b.activity().busy();
        c.activity().busy();
        c.activity().waiting();
        tokio::time::sleep(Duration::from_millis(20)).await;
        b.activity().waiting();
        let taker = {
            let slots = slots.clone();
            tokio::spawn(async move { slots.take(|| {}).await })
        };
        tokio::time::timeout(Duration::from_secs(5), &mut c.evicted)
            .await
            .expect("the slot waiting longest was not told")
            .unwrap();
        assert!(a.evicted.try_recv().is_err(), "a busy slot was told");
        assert!(
            b.evicted.try_recv().is_err(),
            "a newer waiter was told first"
        );
        // The new one has its slot at once; `c` is leaving.
        let d = tokio::time::timeout(Duration::from_secs(5), taker)
            .await
            .expect("the new connection never got a slot")
            .unwrap();
        assert_eq!((slots.len(), slots.lock().leaving), (3, 1));
        drop(c);
        assert_eq!((slots.len(), slots.lock().leaving), (3, 0));
        drop((a, b, d));
        assert!(slots.is_empty());
    }

    #[tokio::test]
    async fn a_slot_waiting_less_than_min_age_is_not_evicted() {
        let slots = Slots::new(1, Duration::from_millis(200));
        let mut first = slots.take(|| {}).await;
        let started = Instant::now();
        let taker = {
            let slots = slots.clone();
            tokio::spawn(async move { slots.take(|| {}).await })
        };
        tokio::time::timeout(Duration::from_secs(5), &mut first.evicted)
            .await
            .unwrap()
            .unwrap();
        assert!(started.elapsed() >= Duration::from_millis(150));
        drop(first);
        let _second = tokio::time::timeout(Duration::from_secs(5), taker)
            .await
            .unwrap()
            .unwrap();
    }

    #[tokio::test]
    async fn busy_slots_are_never_evicted() {
        let slots = Slots::new(1, Duration::ZERO);
        let mut first = slots.take(|| {}).await;
        first.activity().busy();
        let taker = {
            let slots = slots.clone();
            tokio::spawn(async move { slots.take(|| {}).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(first.evicted.try_recv().is_err());
        assert!(!taker.is_finished());
        drop(first);
        let _second = tokio::time::timeout(Duration::from_secs(5), taker)
            .await
            .unwrap()
            .unwrap();
    }
}
