//! Memory between the pipeline's phases, for large policies: what the
//! syntax trees held is handed back to the system once they are lowered,
//! and the long-lived phases that follow (model, access index, checks) do
//! not take memory in 2 MiB huge pages.
//!
//! Measured on the 20,000-project / 100,000-user organization: without
//! either step the process peaks near 165 MB, as the allocator (mimalloc)
//! keeps the freed trees' pages and the checks' threads touch fresh huge
//! pages; with both it stays under 145 MB for about the same time.
//! Below [`LARGE`] bytes of policy text, neither step is taken.

/// Policies from this many bytes of text on get the steps below.
pub const LARGE: usize = 1 << 20;

/// The parse is over: later allocations use ordinary 4 KiB pages, so that
/// memory freed within a huge page is not kept whole (Linux; elsewhere
/// nothing happens).
pub fn after_parse(text_bytes: usize) {
    if text_bytes < LARGE {
        return;
    }
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integer arguments and touches
    // no memory of ours; a failure (old kernel) only leaves THP on.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// The syntax trees are lowered and freed: give their pages back now
/// rather than after mimalloc's purge delay (a no-op for memory that
/// another allocator holds).
pub fn after_lowering(text_bytes: usize) {
    if text_bytes < LARGE {
        return;
    }
    // SAFETY: mi_collect only walks mimalloc's own free lists.
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
}
