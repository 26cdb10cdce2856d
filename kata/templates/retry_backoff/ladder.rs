//! `mastery kata check` runs this (release build) after your tests pass: it
//! times your `retry` in the same rounds as every rung of the kit's retry
//! ladder, on both of its paths, and prints where it lands.

mastery_kata::kata_ladder!(retry_backoff, kata_retry_backoff::retry);
