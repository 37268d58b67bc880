//! How far long work has got, for whoever runs it: the command line shows
//! a bar on a terminal and a plain line every few seconds otherwise
//! (`main.rs`); the library only counts.

/// What long work reports as it goes. Every method has a default that does
/// nothing, so [`Silent`] is the whole of "not reported".
pub trait Progress: Send + Sync {
    /// A stage of `total` steps begins (`plans`, `tasks`).
    fn start(&self, _stage: &str, _total: u64) {}
    /// `steps` more of the current stage are done.
    fn advance(&self, _steps: u64) {}
    /// The work is over.
    fn finish(&self) {}
}

/// No report.
pub struct Silent;

impl Progress for Silent {}
