//! A first-come, first-served gate for one thread: whoever holds the [`Pass`] runs alone, the
//! others wait in arrival order. A Durable Object closes its input gate only while its own storage
//! is busy, not while a handler awaits D1 or KV, so two messages of one session could otherwise
//! both read the same conversation and the later write would drop the earlier refinement. The
//! conversation's Durable Object passes every message (and its expiry alarm) through one turnstile.
//!
//! Plain `std` with no runtime: it works in the Worker and under any executor in native tests.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// The gate. Not `Sync`: one per Durable Object instance, used from its single thread.
#[derive(Debug, Default)]
pub struct Turnstile {
    queue: RefCell<Queue>,
}

#[derive(Debug, Default)]
struct Queue {
    /// The ticket the next arrival takes.
    next: u64,
    /// The ticket whose turn it is.
    serving: u64,
    /// Wakers of the tickets waiting for their turn (a handful at most: plain vectors keep
    /// the wasm small).
    waiting: Vec<(u64, Waker)>,
    /// Tickets given up before their turn came (their futures were dropped): skipped.
    abandoned: Vec<u64>,
}

impl Queue {
    /// Moves the turn on past `ticket`, skipping abandoned tickets, and wakes the next in line.
    fn advance_past(&mut self, ticket: u64) {
        if self.serving != ticket {
            return;
        }
        self.serving += 1;
        while let Some(at) = self.abandoned.iter().position(|t| *t == self.serving) {
            self.abandoned.swap_remove(at);
            self.serving += 1;
        }
        if let Some((_, waker)) = self.take_waker(self.serving) {
            waker.wake();
        }
    }

    fn take_waker(&mut self, ticket: u64) -> Option<(u64, Waker)> {
        let at = self.waiting.iter().position(|(t, _)| *t == ticket)?;
        Some(self.waiting.swap_remove(at))
    }
}

impl Turnstile {
    /// Waits for this caller's turn; the turn passes on when the returned [`Pass`] is dropped.
    pub fn enter(&self) -> Entering<'_> {
        let mut queue = self.queue.borrow_mut();
        let ticket = queue.next;
        queue.next += 1;
        Entering {
            turnstile: self,
            ticket,
            entered: false,
        }
    }

    /// How many callers hold or wait for a turn (for tests and logs).
    pub fn queued(&self) -> u64 {
        let queue = self.queue.borrow();
        queue.next - queue.serving - queue.abandoned.len() as u64
    }
}

/// The future of [`Turnstile::enter`]. Dropping it before its turn gives the turn up.
#[derive(Debug)]
pub struct Entering<'a> {
    turnstile: &'a Turnstile,
    ticket: u64,
    entered: bool,
}

impl<'a> Future for Entering<'a> {
    type Output = Pass<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Pass<'a>> {
        let (turnstile, ticket) = (self.turnstile, self.ticket);
        let mut queue = turnstile.queue.borrow_mut();
        if queue.serving == ticket {
            queue.take_waker(ticket);
            drop(queue);
            self.entered = true;
            return Poll::Ready(Pass { turnstile, ticket });
        }
        match queue.waiting.iter_mut().find(|(t, _)| *t == ticket) {
            Some((_, waker)) => waker.clone_from(cx.waker()),
            None => queue.waiting.push((ticket, cx.waker().clone())),
        }
        Poll::Pending
    }
}

impl Drop for Entering<'_> {
    fn drop(&mut self) {
        if self.entered {
            return;
        }
        let mut queue = self.turnstile.queue.borrow_mut();
        queue.take_waker(self.ticket);
        if queue.serving == self.ticket {
            // Its turn had come but it never took it: pass the turn on.
            queue.advance_past(self.ticket);
        } else {
            queue.abandoned.push(self.ticket);
        }
    }
}

/// The right to run; the next caller in line is let through when it is dropped.
#[derive(Debug)]
pub struct Pass<'a> {
    turnstile: &'a Turnstile,
    ticket: u64,
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        self.turnstile.queue.borrow_mut().advance_past(self.ticket);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    /// A waker that counts its wake-ups.
    #[derive(Default)]
    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll<F: Future + Unpin>(future: &mut F, waker: &Arc<CountingWaker>) -> Poll<F::Output> {
        let waker = Waker::from(waker.clone());
        Pin::new(future).poll(&mut Context::from_waker(&waker))
    }

    #[test]
    fn the_first_caller_enters_at_once_and_the_second_waits_for_the_pass() {
        let gate = Turnstile::default();
        let waker = Arc::new(CountingWaker::default());
        let mut first = gate.enter();
        let mut second = gate.enter();
        let Poll::Ready(pass) = poll(&mut first, &waker) else {
            panic!("the first caller had to wait");
        };
        assert!(poll(&mut second, &waker).is_pending());
        assert_eq!(gate.queued(), 2);
        drop(pass);
        assert_eq!(
            waker.0.load(Ordering::SeqCst),
            1,
            "the second was not woken"
        );
        assert!(poll(&mut second, &waker).is_ready());
    }

    #[test]
    fn callers_enter_in_arrival_order_even_when_polled_out_of_order() {
        let gate = Turnstile::default();
        let waker = Arc::new(CountingWaker::default());
        let mut callers: Vec<_> = (0..4).map(|_| gate.enter()).collect();
        let mut order = Vec::new();
        // Poll the newest first every round: only the oldest waiting one may get in.
        while order.len() < callers.len() {
            for i in (0..callers.len()).rev() {
                if order.contains(&i) {
                    continue;
                }
                if let Poll::Ready(pass) = poll(&mut callers[i], &waker) {
                    order.push(i);
                    drop(pass);
                }
            }
        }
        assert_eq!(order, vec![0, 1, 2, 3]);
        assert_eq!(gate.queued(), 0);
    }

    #[test]
    fn a_caller_that_gives_up_before_its_turn_does_not_block_the_ones_behind_it() {
        let gate = Turnstile::default();
        let waker = Arc::new(CountingWaker::default());
        let mut first = gate.enter();
        let second = gate.enter();
        let mut third = gate.enter();
        let Poll::Ready(pass) = poll(&mut first, &waker) else {
            panic!("the first caller had to wait");
        };
        assert!(poll(&mut third, &waker).is_pending());
        drop(second);
        drop(pass);
        assert!(poll(&mut third, &waker).is_ready());
    }

    #[test]
    fn a_caller_dropped_when_its_turn_had_come_passes_the_turn_on() {
        let gate = Turnstile::default();
        let waker = Arc::new(CountingWaker::default());
        let mut first = gate.enter();
        let second = gate.enter();
        let mut third = gate.enter();
        let Poll::Ready(pass) = poll(&mut first, &waker) else {
            panic!("the first caller had to wait");
        };
        drop(pass); // now it is the second's turn, but nobody polls it
        assert!(poll(&mut third, &waker).is_pending());
        drop(second);
        assert!(poll(&mut third, &waker).is_ready());
    }

    #[test]
    fn work_inside_the_gate_never_overlaps_across_awaits() {
        // Each task enters, yields twice (as a handler awaiting D1 would), and leaves; a shared
        // flag catches any overlap.
        struct Yield(bool);
        impl Future for Yield {
            type Output = ();
            fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
                if self.0 {
                    return Poll::Ready(());
                }
                self.0 = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
        let gate = Turnstile::default();
        let busy = Rc::new(RefCell::new(false));
        let log = Rc::new(RefCell::new(Vec::new()));
        let task = |n: u32| {
            let (gate, busy, log) = (&gate, busy.clone(), log.clone());
            async move {
                let _pass = gate.enter().await;
                assert!(!*busy.borrow(), "task {n} entered while another was inside");
                *busy.borrow_mut() = true;
                Yield(false).await;
                Yield(false).await;
                log.borrow_mut().push(n);
                *busy.borrow_mut() = false;
            }
        };
        let mut tasks: Vec<Pin<Box<dyn Future<Output = ()> + '_>>> =
            (0..5).map(|n| Box::pin(task(n)) as Pin<Box<_>>).collect();
        let waker = Waker::from(Arc::new(CountingWaker::default()));
        let mut cx = Context::from_waker(&waker);
        let mut done = vec![false; tasks.len()];
        while done.iter().any(|d| !d) {
            for (i, t) in tasks.iter_mut().enumerate() {
                if !done[i] && t.as_mut().poll(&mut cx).is_ready() {
                    done[i] = true;
                }
            }
        }
        assert_eq!(*log.borrow(), vec![0, 1, 2, 3, 4]);
    }
}
