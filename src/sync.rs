//! Waiting and locking inside shared memory: futex waits and wakes, and a
//! process-shared robust mutex, plus the timeout every blocking call takes.

pub mod futex;
pub mod mutex;
#[cfg(target_os = "linux")]
mod owner;
pub mod timeout;

pub use timeout::Timeout;
