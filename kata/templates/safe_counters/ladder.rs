//! `mastery kata check` runs this (release build) after your tests pass: it
//! times your `SafeCounter` in the same rounds as every rung of the kit's
//! counters ladder, on the same two threads, and prints where it lands.

use std::process::ExitCode;

fn main() -> ExitCode {
    mastery_kata::safe_counters::ladder::<kata_safe_counters::SafeCounter>()
}
