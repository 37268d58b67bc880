//! Progress of long commands on standard error: a bar (or, when the size of
//! the work is not known, a spinner with the time spent) on a terminal; a
//! plain line when a stage starts and every few seconds otherwise, for a
//! log; nothing with `--quiet`. Standard output (the command's report) is
//! never touched.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use xietong::progress::Progress;

/// How often a plain line is written while work goes on.
const EVERY: Duration = Duration::from_secs(5);

/// Where progress goes.
#[derive(Clone, Copy)]
enum Mode {
    Quiet,
    Terminal,
    Lines,
}

fn mode(quiet: bool) -> Mode {
    if quiet {
        Mode::Quiet
    } else if std::io::stderr().is_terminal() {
        Mode::Terminal
    } else {
        Mode::Lines
    }
}

/// The progress of one command (`generate city`), counted by the library.
pub struct Reporter {
    what: String,
    mode: Mode,
    bar: Option<ProgressBar>,
    lines: Mutex<Stage>,
}

#[derive(Default)]
struct Stage {
    name: String,
    total: u64,
    done: u64,
    said: Option<Instant>,
}

impl Reporter {
    pub fn new(what: &str, quiet: bool) -> Reporter {
        let mode = mode(quiet);
        let bar = matches!(mode, Mode::Terminal).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{prefix} {msg} [{bar:30}] {human_pos}/{human_len} ({eta} left)")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_prefix(what.to_owned());
            bar
        });
        Reporter {
            what: what.to_owned(),
            mode,
            bar,
            lines: Mutex::new(Stage::default()),
        }
    }

    fn say(&self, stage: &Stage, ending: &str) {
        let share = (stage.done * 100).checked_div(stage.total).unwrap_or(100);
        eprintln!(
            "{}: {} {}/{} ({share}%){ending}",
            self.what, stage.name, stage.done, stage.total
        );
    }
}

impl Progress for Reporter {
    fn start(&self, stage: &str, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(0);
            bar.set_message(stage.to_owned());
        } else if matches!(self.mode, Mode::Lines)
            && let Ok(mut current) = self.lines.lock()
        {
            *current = Stage {
                name: stage.to_owned(),
                total,
                done: 0,
                said: Some(Instant::now()),
            };
            self.say(&current, "");
        }
    }

    fn advance(&self, steps: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(steps);
        } else if matches!(self.mode, Mode::Lines)
            && let Ok(mut current) = self.lines.lock()
        {
            current.done += steps;
            if current.said.is_none_or(|at| at.elapsed() >= EVERY) {
                current.said = Some(Instant::now());
                self.say(&current, "");
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        } else if matches!(self.mode, Mode::Lines)
            && let Ok(current) = self.lines.lock()
        {
            self.say(&current, ", done");
        }
    }
}

/// Runs `work`, whose size is not known, showing that it goes on: a
/// spinner with the time spent on a terminal, a line every few seconds
/// otherwise.
pub async fn while_running<F: Future>(what: &str, quiet: bool, work: F) -> F::Output {
    match mode(quiet) {
        Mode::Quiet => work.await,
        Mode::Terminal => {
            let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            spinner.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            spinner.set_message(what.to_owned());
            spinner.enable_steady_tick(Duration::from_millis(120));
            let output = work.await;
            spinner.finish_and_clear();
            output
        }
        Mode::Lines => {
            let started = Instant::now();
            let label = what.to_owned();
            let ticker = tokio::spawn(async move {
                let mut every = tokio::time::interval_at(tokio::time::Instant::now() + EVERY, EVERY);
                loop {
                    every.tick().await;
                    eprintln!("{label}: still working ({} s)", started.elapsed().as_secs());
                }
            });
            let output = work.await;
            ticker.abort();
            output
        }
    }
}
