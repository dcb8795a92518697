//! What every named rshm object shares, written once: the header in its
//! first page (kind, layout version, creator), the identity of processes
//! across pid reuse, and who holds each role of an object and whether that
//! process still lives, the doorbell an event loop polls instead of a
//! futex, the copy of a short message without a call (`copy`), and what
//! the short paths before the C boundary hand back (`leaf`).
//! Segments, channels, values and topics build on it.

pub(crate) mod copy;
pub mod doorbell;
pub mod handshake;
pub mod header;
pub mod leaf;
pub(crate) mod pages;
pub(crate) mod peer;
pub mod process;
pub(crate) mod wait;

pub use header::Header;
#[allow(unused_imports)] // every kind is named here, whether or not this build has its module yet
pub(crate) use header::{KIND_CHANNEL, KIND_SEGMENT, KIND_TOPIC, KIND_VALUE};
pub use process::{Identity, Liveness};
