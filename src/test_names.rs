//! Names for the shared-memory objects unit tests create: unique within the
//! test process (one counter for every module, since cargo runs the tests of
//! all modules in one process, in parallel) and across processes (the pid).

use std::ffi::CString;
use std::sync::atomic::{AtomicUsize, Ordering};

static N: AtomicUsize = AtomicUsize::new(0);

/// "/rshm-test-PID-N-tag", a name no other test uses.
pub(crate) fn name(tag: &str) -> CString {
    CString::new(format!("/rshm-test-{}-{}-{tag}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)))
        .expect("a test tag has no NUL byte")
}
