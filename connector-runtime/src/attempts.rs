//! How many attempts a call made, retries included, for the server's call log.
//!
//! A task-local counter that the retry loop bumps: no client, request or response type has to
//! carry it, and a call made outside [`counted`] counts nothing.

use std::cell::Cell;
use std::future::Future;

tokio::task_local! {
    static ATTEMPTS: Cell<u32>;
}

/// Runs `call`, and says how many requests it sent to providers (0 when it sent none).
pub async fn counted<F: Future>(call: F) -> (F::Output, u32) {
    ATTEMPTS
        .scope(Cell::new(0), async {
            let output = call.await;
            (output, ATTEMPTS.with(Cell::get))
        })
        .await
}

/// One more request sent, inside [`counted`].
pub(crate) fn count() {
    let _ = ATTEMPTS.try_with(|attempts| attempts.set(attempts.get() + 1));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_inside_the_scope_only() {
        count();
        let ((), attempts) = counted(async {
            count();
            count();
        })
        .await;
        assert_eq!(attempts, 2);
        let ((), none) = counted(async {}).await;
        assert_eq!(none, 0);
    }
}
