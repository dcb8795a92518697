//! The message channel's machinery, independent of how its shared memory
//! is obtained: a single-producer single-consumer ring of variable-length
//! messages inside a caller-provided region (`ring`), its shared header
//! (`header`), and who holds each end (`peer`).

mod header;
mod peer;
mod ring;
#[cfg(test)]
mod tests;

pub use ring::Ring;
