//! The time the service acts at, and the day it is in China: the system's,
//! or one set for a test (or a replay) that runs on from the moment set.
//! Every request's [`super::Caller`] carries the app's clock, so that what
//! the domain writes and derives (timestamps, overdue, late, `as_of`) reads
//! the same clock.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::values::china_day;

/// A clock: the system's, shifted by a fixed amount.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    shift: TimeDelta,
}

impl Clock {
    /// The system's clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that reads `at` now and runs on from there.
    pub fn starting_at(at: DateTime<Utc>) -> Clock {
        Clock { shift: at - Utc::now() }
    }

    /// The current time, truncated to microseconds so that what is written
    /// reads back the same on both backends.
    pub fn now(&self) -> DateTime<Utc> {
        let now = Utc::now() + self.shift;
        DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
    }

    /// Today in China (deadlines are China Standard Time days).
    pub fn today(&self) -> NaiveDate {
        china_day(self.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_clock_runs_on_from_its_moment() {
        let at = DateTime::parse_from_rfc3339("2025-06-30T16:30:00Z")
            .expect("time")
            .to_utc();
        let clock = Clock::starting_at(at);
        let read = clock.now();
        assert!(read >= at && read - at < TimeDelta::seconds(5), "{read}");
        // 16:30 UTC is already the next day in China.
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2025, 7, 1).expect("day"));
        assert!(Clock::system().now() - Utc::now() < TimeDelta::seconds(5));
    }
}
