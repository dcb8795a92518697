//! What the short paths that run before the C boundary hand back, for
//! every object that has one (a channel's send and receive, a topic's
//! publish and receive): the message went or came, the peer must be woken
//! as well, nothing yet, or the long way. And how a receive that may wait
//! polls its short path before it takes the long way.

/// What a short send or publish did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Sent {
    /// Sent.
    Done,
    /// Sent; the peer waits and must be woken (the object's wake-up).
    Wake,
    /// Nothing: the message needs the long way.
    No,
}

/// What a short receive did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Got {
    /// Received a message of this length.
    Msg(usize),
    /// Received a message of this length; the peer waits for room and must
    /// be woken (the object's wake-up).
    Wake(usize),
    /// Nothing published yet: a call that may wait polls again ([`poll`])
    /// before it goes the long way.
    Empty,
    /// Nothing: the call needs the long way.
    No,
}

/// How many times a receive that may wait polls its short path after a
/// short wait (the object's `polls`): about as long as a message takes
/// between two CPUs, as in a ping-pong, where the message that comes
/// meanwhile is then taken at once. None after a long wait, where polls
/// would only add to the long way's spin and take the CPU from whoever
/// shares it (8 there cost 2 topic subscribers sharing a CPU a quarter of
/// their throughput).
pub(crate) const POLLS: u32 = 8;

/// `now`, a short receive, again while it finds nothing yet, up to `polls`
/// more times; what it last said. No call of its own: it runs on the leaf
/// paths before the C boundary.
#[inline(always)]
#[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
pub fn poll(mut polls: u32, mut now: impl FnMut() -> Got) -> Got {
    loop {
        match now() {
            Got::Empty if polls > 0 => {
                polls = polls.wrapping_sub(1);
                std::hint::spin_loop();
            }
            got => return got,
        }
    }
}
