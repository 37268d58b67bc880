//! When a request's loaders fetch: not after a timer, but as soon as the
//! request can go no further without them. Every key asked for while the
//! query resolves one level (however long that takes on a slow machine)
//! then goes into one batch, so the number of statements a query runs
//! depends on its shape, never on its rows or the clock.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use async_graphql::futures_util::StreamExt;
use async_graphql::futures_util::future::BoxFuture;
use async_graphql::futures_util::stream::FuturesUnordered;

/// The fetches a request's loaders have asked to run.
#[derive(Clone, Default)]
pub struct FetchQueue(Arc<Mutex<Vec<BoxFuture<'static, ()>>>>);

impl FetchQueue {
    /// Queues a fetch (the loaders' spawner).
    pub fn push(&self, fetch: BoxFuture<'static, ()>) {
        if let Ok(mut queue) = self.0.lock() {
            queue.push(fetch);
        }
    }

    fn take(&self) -> Vec<BoxFuture<'static, ()>> {
        self.0.lock().map(|mut q| std::mem::take(&mut *q)).unwrap_or_default()
    }
}

/// Wakes the request's task and remembers that it did.
struct Flag {
    woken: AtomicBool,
    task: Waker,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.task.wake_by_ref();
    }
}

/// How often in a row the request may ask to be polled again before the
/// task yields to others.
const SPINS: usize = 64;

/// Runs `request` and the fetches its loaders queue: the request is polled
/// until it waits on something; only then do the queued fetches start.
pub async fn drive<F: Future>(queue: FetchQueue, request: F) -> F::Output {
    let mut request = pin!(request);
    let mut running: FuturesUnordered<BoxFuture<'static, ()>> = FuturesUnordered::new();
    std::future::poll_fn(move |cx: &mut Context<'_>| {
        for _ in 0..SPINS {
            let flag = Arc::new(Flag {
                woken: AtomicBool::new(false),
                task: cx.waker().clone(),
            });
            let waker = Waker::from(flag.clone());
            let mut inner = Context::from_waker(&waker);
            if let Poll::Ready(output) = request.as_mut().poll(&mut inner) {
                return Poll::Ready(output);
            }
            if flag.woken.swap(false, Ordering::SeqCst) {
                // It resolves on and only yielded: let it finish the level.
                continue;
            }
            running.extend(queue.take());
            while let Poll::Ready(Some(())) = running.poll_next_unpin(&mut inner) {}
            if !flag.woken.load(Ordering::SeqCst) {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}
