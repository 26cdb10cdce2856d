//! `mastery kata check` runs this (release build) after your tests pass: it
//! times your `serve_batches` in the same rounds as every rung of the
//! kit's batching overhead ladder and prints where it lands.

mastery_kata::kata_ladder!(batching, kata_batching::serve_batches);
