//! A refresh lane on threads of its own (apart from the server's runtime, so that a
//! refresh is not queued behind the requests it answers), the background lanes at a
//! lower scheduling priority: under load the ingest and the incremental lane the
//! dashboards wait for come first, and the background lanes take the CPU time they
//! leave.

use std::future::Future;
use std::thread::JoinHandle;

use crate::error::{Error, Result};

/// Runs the future `make` returns on a thread called `name` with a runtime of `threads`
/// worker threads, every one of them (and the thread itself) `nice` steps below normal
/// priority (0 keeps the priority).
pub(crate) fn spawn<F, Fut>(
    name: &str,
    threads: usize,
    nice: i32,
    make: F,
) -> Result<JoinHandle<()>>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .thread_name(name)
        .on_thread_start(move || lower_priority(nice))
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start threads: {e}")))?;
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            // The lane's future itself runs here, and most of its work with it.
            lower_priority(nice);
            runtime.block_on(make())
        })
        .map_err(|e| Error::Internal(format!("cannot start a thread: {e}")))
}

/// Gives the calling thread the nice value `nice` (1 to 19), or the nearest one the
/// scheduling policy allows, unless it runs at that or lower priority already (or `nice`
/// is 0 or less).
#[cfg(target_os = "linux")]
pub(crate) fn lower_priority(nice: i32) {
    use thread_priority::{ThreadPriority, thread_native_id, thread_schedule_policy};
    if nice <= 0 || thread_nice().is_some_and(|now| now >= nice) {
        return;
    }
    let Ok(policy) = thread_schedule_policy() else {
        tracing::warn!("cannot read a refresh thread's scheduling policy");
        return;
    };
    // The crate's portable scale (0 to 99) maps onto the nice values: the point of it
    // that lands nearest `nice`.
    let priority = (0u8..=99)
        .filter_map(|p| p.try_into().ok().map(ThreadPriority::Crossplatform))
        .min_by_key(|p| {
            p.to_posix(policy)
                .map_or(i32::MAX, |n| (n - nice.min(19)).abs())
        });
    let Some(priority) = priority else { return };
    if let Err(e) =
        thread_priority::set_thread_priority_and_policy(thread_native_id(), priority, policy)
    {
        tracing::warn!(error = ?e, nice, "cannot lower a refresh thread's priority");
    }
}

/// The calling thread's nice value, from the kernel (`/proc/thread-self/stat`: the 19th
/// field; the 2nd, the thread's name in parentheses, may hold spaces).
#[cfg(target_os = "linux")]
fn thread_nice() -> Option<i32> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after_name = stat.get(stat.rfind(')')? + 2..)?;
    // `after_name` starts at the 3rd field.
    after_name.split(' ').nth(19 - 3)?.parse().ok()
}

/// Elsewhere the threads keep their priority.
#[cfg(not(target_os = "linux"))]
pub(crate) fn lower_priority(_nice: i32) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn nice_here() -> i32 {
        thread_nice().expect("this thread's nice value")
    }

    /// The lane's thread and its runtime's workers run at nice 7 (or as they were, if
    /// that is lower still); the caller keeps its own.
    #[test]
    fn a_lane_runs_below_normal_priority() {
        let before = nice_here();
        let (tx, rx) = std::sync::mpsc::channel();
        let handle = spawn("test-lane", 1, 7, move || async move {
            let worker = tokio::spawn(async { nice_here() }).await.unwrap();
            tx.send((nice_here(), worker)).unwrap();
        })
        .unwrap();
        handle.join().unwrap();
        let want = before.max(7);
        assert_eq!(rx.recv().unwrap(), (want, want));
        assert_eq!(nice_here(), before);
    }
}
