//! Pure decision code: normalise a message, match intents, extract entities, decide rollout.
//! No I/O, no TOML and no `worker`: it runs the same natively and in wasm.

pub mod model;

pub use model::*;
