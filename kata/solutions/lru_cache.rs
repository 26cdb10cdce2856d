// The kata's trait for the lesson's `SimpleLru` (interview/lru-cache,
// `ANCHOR: core`): each method calls the inherent one of the same name.
// The kit includes this block in `mastery_kata::textbook`, and `mastery
// kata new lru-cache --solution` pastes it after the lesson's code.
impl<K: Hash + Eq + Clone, V> LruKata<K, V> for SimpleLru<K, V> {
    fn new(capacity: NonZeroUsize) -> Self {
        SimpleLru::new(capacity.get()).expect("a NonZeroUsize capacity is never 0")
    }

    fn get(&mut self, key: &K) -> Option<&V> {
        SimpleLru::get(self, key)
    }

    fn put(&mut self, key: K, value: V) -> Option<(K, V)> {
        SimpleLru::put(self, key, value)
    }

    fn len(&self) -> usize {
        SimpleLru::len(self)
    }
}
