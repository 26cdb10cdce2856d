//! The demo of `patterns/dependency-injection`: one notifier wired four
//! ways, what each does with a missing dependency, the cost of a call per
//! way (paired samples, each against the generic wiring) and the cost of a
//! locator lookup (against a field access and a SipHash type map).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use mastery_kit::{Area, Narrator, Topic, Unit, Verdict};

use super::{
    BorrowedNotifier, FixedClock, GenericNotifier, IndexedStore, LocatorNotifier, MemoryStore,
    NotifyError, NullSender, Receipt, RecordingSender, ServiceLocator, SharedClock, SharedNotifier,
    SharedSender, SharedStore, Timestamp, UserId,
};

mastery_kit::inventory::submit! {
    Topic {
        id: "patterns/dependency-injection",
        area: Area::Patterns,
        rank: 2,
        title: "Dependency injection / service locator",
        python: "constructor injection (__init__(self, clock, store, sender)) and containers (dependency-injector, FastAPI Depends): wiring checked when the code runs",
        rust: "generic parameters (checked, inlined), &dyn and Arc<dyn Trait + Send + Sync> (checked, one vtable call each), a TypeId-keyed service locator (axum's Extension: an Err naming the missing type)",
        path: "patterns/src/dependency_injection/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

/// The compiler's answer to each compile-time refusal, as kept by the
/// trybuild cases (reviewed snapshots, so the demo prints real words).
const REFUSALS: [(&str, &str, &str); 4] = [
    (
        "generic: the sender left out",
        "GenericNotifier::new(FixedClock(Timestamp(0)), MemoryStore::default())",
        include_str!("../../tests/ui/dependency_injection/generic_missing_sender.stderr"),
    ),
    (
        "generic: a sender that is not a Sender",
        "GenericNotifier::new(FixedClock(Timestamp(0)), MemoryStore::default(), \"smtp://\")",
        include_str!("../../tests/ui/dependency_injection/generic_wrong_sender.stderr"),
    ),
    (
        "&dyn: a dependency dropped while the notifier still borrows it",
        "let notifier = { let store = ..; BorrowedNotifier::new(&clock, &store, &sender) };",
        include_str!("../../tests/ui/dependency_injection/borrowed_outlived.stderr"),
    ),
    (
        "Arc<dyn>: a sender that is not thread-safe (a Cell inside)",
        "SharedNotifier::new(clock, store, Arc::new(CellSender::default()))",
        include_str!("../../tests/ui/dependency_injection/shared_not_thread_safe.stderr"),
    ),
];

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    four_wirings(n)?;
    missing_dependencies(n)?;
    call_costs(n)?;
    lookup_costs(n)?;
    Ok(())
}

fn four_wirings(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("One notifier, four wirings, one test double each");
    n.say(
        "The application is one function, `deliver(clock, store, sender, user, body)`: look the \
         address up, stamp the time, send. Each wiring only decides how the notifier reaches its \
         three dependencies. Here every wiring gets the same doubles: a clock stopped at t = 60 s \
         and a sender that records what it was asked to send.",
    );
    let store = MemoryStore::from_iter([(UserId(7), "ada@example.com")]);
    let clock = FixedClock(Timestamp(60));
    let mut transcripts = Vec::new();

    n.show("GenericNotifier::new(clock, &store, &sender)            // types in the type");
    let sender = RecordingSender::default();
    GenericNotifier::new(clock, &store, &sender).notify(UserId(7), "build is green")?;
    transcripts.push(sender.sent());

    n.show("BorrowedNotifier::new(&clock, &store, &sender)          // &dyn, borrowed");
    let sender = RecordingSender::default();
    BorrowedNotifier::new(&clock, &store, &sender).notify(UserId(7), "build is green")?;
    transcripts.push(sender.sent());

    n.show("SharedNotifier::new(Arc::new(clock), .., sender.clone()) // Arc<dyn>, owned");
    let sender = Arc::new(RecordingSender::default());
    SharedNotifier::new(Arc::new(clock), Arc::new(store.clone()), sender.clone())
        .notify(UserId(7), "build is green")?;
    transcripts.push(sender.sent());

    n.show("locator.provide::<SharedSender>(sender.clone()); ..    // a type map");
    let sender = Arc::new(RecordingSender::default());
    let locator = locator_with(
        Some(Arc::new(clock)),
        Some(Arc::new(store)),
        Some(sender.clone()),
    );
    LocatorNotifier::new(Arc::new(locator)).notify(UserId(7), "build is green")?;
    transcripts.push(sender.sent());

    let first = &transcripts[0];
    anyhow::ensure!(
        first.len() == 1 && transcripts.iter().all(|t| t == first),
        "every wiring must send the same one message"
    );
    n.say(&format!(
        "All four recorded the same message: to {} at t = {} s, \"{}\". The doubles were injected \
         the same way the real services would be; only the generic notifier became a new type \
         for them.",
        first[0].to, first[0].at.0, first[0].body
    ));
    n.record_bytes(
        "size of GenericNotifier<FixedClock, &MemoryStore, &RecordingSender>",
        size_of::<GenericNotifier<FixedClock, &MemoryStore, &RecordingSender>>(),
    );
    n.record_bytes(
        "size of BorrowedNotifier (three &dyn: data + vtable pointers)",
        size_of::<BorrowedNotifier<'_>>(),
    );
    n.record_bytes(
        "size of SharedNotifier (three Arc<dyn>)",
        size_of::<SharedNotifier>(),
    );
    n.record_bytes(
        "size of LocatorNotifier (one Arc to the map)",
        size_of::<LocatorNotifier>(),
    );
    Ok(())
}

fn missing_dependencies(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("A missing dependency, way by way");
    n.say(
        "Three of the four wirings never run with a dependency missing: the program does not \
         compile. The compiler's first words for each (the trybuild cases in \
         patterns/tests/ui/dependency_injection/):",
    );
    for (case, code, stderr) in REFUSALS {
        n.show(format!("{case}\n      {code}"));
        let first_error = stderr.lines().next().unwrap_or("(no output kept)");
        n.show(format!("      → {first_error}"));
    }
    n.say(
        "The locator compiles with the sender forgotten. Asked for it, it answers with an Err \
         naming the type — axum's Extension does the same with a 500 \"Missing request \
         extension\":",
    );
    let locator = Arc::new(locator_with(
        Some(Arc::new(FixedClock(Timestamp(60)))),
        Some(Arc::new(MemoryStore::from_iter([(
            UserId(7),
            "ada@example.com",
        )]))),
        None,
    ));
    let mut errors = 0_u64;
    match LocatorNotifier::new(locator.clone()).notify(UserId(7), "build is green") {
        Err(NotifyError::Missing(missing)) => {
            errors += 1;
            n.show(format!("notify(..)  → Err: {missing}"));
        }
        other => anyhow::bail!("a locator without a sender must say so, got {other:?}"),
    }
    match LocatorNotifier::checked(locator) {
        Err(missing) => {
            errors += 1;
            n.show(format!(
                "checked(..) → Err at start-up: {}",
                missing.short_name()
            ));
        }
        Ok(_) => anyhow::bail!("checked() must refuse a locator without a sender"),
    }
    n.record_count(
        "missing-dependency Errs returned by the locator (no panic)",
        errors,
    );
    Ok(())
}

/// A locator holding whichever of the three services are given.
fn locator_with(
    clock: Option<SharedClock>,
    store: Option<SharedStore>,
    sender: Option<SharedSender>,
) -> ServiceLocator {
    let mut locator = ServiceLocator::new();
    if let Some(clock) = clock {
        locator.provide(clock);
    }
    if let Some(store) = store {
        locator.provide(store);
    }
    if let Some(sender) = sender {
        locator.provide(sender);
    }
    locator
}

/// Users in the store the call-cost runs notify, in turn.
const USERS: u32 = 64;
const BODY: &str = "build is green";

/// `calls` notifications through `notify`, to the users in turn; a checksum
/// of the receipts so the work cannot be dropped and the wirings can be
/// checked against each other.
fn notify_batch(
    calls: u32,
    notify: impl Fn(UserId, &str) -> Result<Receipt, NotifyError>,
) -> Result<u64, NotifyError> {
    let mut checksum = 0_u64;
    for i in 0..calls {
        let receipt = notify(black_box(UserId(i % USERS)), black_box(BODY))?;
        checksum = checksum
            .wrapping_add(receipt.at.0)
            .wrapping_add(receipt.bytes as u64)
            .wrapping_add(u64::from(receipt.user.0));
    }
    Ok(checksum)
}

fn call_costs(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("What a call costs, way by way");
    let calls: u32 = n.mode().pick(2_000, 40_000);
    let rounds = n.samples();
    n.say(&format!(
        "{calls} notifications per sample through each wiring, {rounds} rounds; within a round \
         the four run back to back and the one that goes first rotates. The dependencies do \
         almost nothing — a fixed clock, a {USERS}-user store indexed by id, a sender that sends \
         nowhere — so what differs is how the notifier reaches them."
    ));
    let store =
        IndexedStore::from_iter((0..USERS).map(|u| (UserId(u), format!("user{u}@example.com"))));
    let clock = FixedClock(Timestamp(60));
    let shared_store: SharedStore = Arc::new(store.clone());
    let generic = GenericNotifier::new(clock, &store, NullSender);
    let borrowed = BorrowedNotifier::new(&clock, &store, &NullSender);
    let shared = SharedNotifier::new(Arc::new(clock), shared_store.clone(), Arc::new(NullSender));
    let locator = LocatorNotifier::checked(Arc::new(locator_with(
        Some(Arc::new(clock)),
        Some(shared_store),
        Some(Arc::new(NullSender)),
    )))?;

    let ways: [&dyn Fn() -> Result<u64, NotifyError>; 4] = [
        &|| notify_batch(calls, |u, b| generic.notify(u, b)),
        &|| notify_batch(calls, |u, b| borrowed.notify(u, b)),
        &|| notify_batch(calls, |u, b| shared.notify(u, b)),
        &|| notify_batch(calls, |u, b| locator.notify(u, b)),
    ];
    let expected = ways[0]()?;
    for way in &ways[1..] {
        anyhow::ensure!(
            way()? == expected,
            "every wiring must produce the same receipts"
        );
    }
    let mut ns: [Vec<f64>; 4] = Default::default();
    for round in 0..rounds {
        for k in 0..ways.len() {
            let way = (round + k) % ways.len();
            let start = Instant::now();
            black_box(ways[way]()?);
            ns[way].push(start.elapsed().as_secs_f64() * 1e9 / f64::from(calls));
        }
    }
    let [generic_ns, borrowed_ns, shared_ns, locator_ns] = &ns;
    for (label, samples, what) in [
        (
            "one notify call: &dyn vs generic parameters",
            borrowed_ns,
            "three vtable calls the compiler cannot inline",
        ),
        (
            "one notify call: Arc<dyn> vs generic parameters",
            shared_ns,
            "three vtable calls behind a pointer to the Arc's allocation",
        ),
        (
            "one notify call: service locator vs generic parameters",
            locator_ns,
            "three type-map lookups, three downcasts and three vtable calls",
        ),
    ] {
        let c = n.compare_samples(
            label,
            samples,
            generic_ns,
            "generic parameters",
            Unit::NsPerOp,
        );
        let verdict = match c.verdict {
            Verdict::Worse => format!(
                "The generic call was faster: the other way costs {:.2}× as much per call here, \
                 {what}.",
                1.0 / c.speedup
            ),
            Verdict::Better => format!(
                "This way measured faster than the generic one ({:.2}×) — code placement or \
                 inlining choices, not a property of the wiring: {what} is more work, not less.",
                c.speedup
            ),
            Verdict::Tie { within } => format!(
                "No difference this run can see (±{:.1} %): {what} are small next to the rest of \
                 the call.",
                100.0 * within
            ),
            Verdict::Equal | Verdict::TooFewSamples => {
                "Too few rounds for a verdict; see the figures above.".to_owned()
            }
        };
        n.say(&verdict);
    }
    Ok(())
}

/// The three services as struct fields: what the compiled wirings read.
struct Fields {
    clock: SharedClock,
    store: SharedStore,
    sender: SharedSender,
}

/// The address of what a shared service points to, to fold into a checksum.
fn address<T: ?Sized>(service: &Arc<T>) -> usize {
    Arc::as_ptr(service).cast::<()>() as usize
}

fn lookup_costs(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("What a locator lookup costs");
    let fields = Fields {
        clock: Arc::new(FixedClock(Timestamp(60))),
        store: Arc::new(MemoryStore::default()),
        sender: Arc::new(NullSender),
    };
    let locator = locator_with(
        Some(fields.clock.clone()),
        Some(fields.store.clone()),
        Some(fields.sender.clone()),
    );
    let mut sip: HashMap<TypeId, Box<dyn Any + Send + Sync>> = HashMap::new();
    sip.insert(TypeId::of::<SharedClock>(), Box::new(fields.clock.clone()));
    sip.insert(TypeId::of::<SharedStore>(), Box::new(fields.store.clone()));
    sip.insert(
        TypeId::of::<SharedSender>(),
        Box::new(fields.sender.clone()),
    );
    let sip_get = |map: &HashMap<TypeId, Box<dyn Any + Send + Sync>>| -> Option<usize> {
        let clock = map
            .get(&TypeId::of::<SharedClock>())?
            .downcast_ref::<SharedClock>()?;
        let store = map
            .get(&TypeId::of::<SharedStore>())?
            .downcast_ref::<SharedStore>()?;
        let sender = map
            .get(&TypeId::of::<SharedSender>())?
            .downcast_ref::<SharedSender>()?;
        Some(address(clock) ^ address(store) ^ address(sender))
    };
    let ours_get = |locator: &ServiceLocator| -> Result<usize, NotifyError> {
        let clock = locator.get::<SharedClock>()?;
        let store = locator.get::<SharedStore>()?;
        let sender = locator.get::<SharedSender>()?;
        Ok(address(clock) ^ address(store) ^ address(sender))
    };
    let field_get = |f: &Fields| address(&f.clock) ^ address(&f.store) ^ address(&f.sender);
    let expected = field_get(&fields);
    anyhow::ensure!(
        ours_get(&locator)? == expected && sip_get(&sip) == Some(expected),
        "all three must find the same services"
    );

    let rounds: usize = n.mode().pick(5_000, 100_000);
    let lookups = (3 * rounds) as u64;
    n.say(&format!(
        "{rounds} times the three services — clock, store, sender — found three ways: read from \
         struct fields (what the compiled wirings do), looked up in the locator (a TypeId key, \
         its 64 bits used as the hash), and looked up in a std HashMap<TypeId, Box<dyn Any>> \
         hashing the key with SipHash. Each figure is one lookup."
    ));
    let lookup_all = |get: &dyn Fn() -> usize| (0..rounds).fold(0_usize, |acc, _| acc ^ get());
    let against_fields = n.compare_timed(
        "one service lookup: locator get::<T>() vs a struct field",
        lookups,
        || lookup_all(&|| ours_get(black_box(&locator)).unwrap_or_default()),
        "direct field access",
        || lookup_all(&|| field_get(black_box(&fields))),
    );
    let text = match against_fields.verdict {
        Verdict::Worse => format!(
            "A lookup costs {:.1}× a field read: hash, probe, compare the TypeId, check the \
             downcast — each time, where a field is one load at an offset the compiler knew.",
            1.0 / against_fields.speedup
        ),
        Verdict::Better => "The locator measured faster than a field read this run — an \
                            artefact to distrust: it does strictly more work."
            .to_owned(),
        Verdict::Tie { within } => format!(
            "No difference this run can see (±{:.1} %) between a lookup and a field read.",
            100.0 * within
        ),
        Verdict::Equal | Verdict::TooFewSamples => {
            "Too few rounds for a verdict; see the figures above.".to_owned()
        }
    };
    n.say(&text);
    let against_sip = n.compare_timed(
        "one service lookup: locator (TypeId as its own hash) vs HashMap<TypeId> with SipHash",
        lookups,
        || lookup_all(&|| ours_get(black_box(&locator)).unwrap_or_default()),
        "HashMap<TypeId> (SipHash)",
        || lookup_all(&|| sip_get(black_box(&sip)).unwrap_or_default()),
    );
    let text = match against_sip.verdict {
        Verdict::Better => format!(
            "Skipping the second hash made a lookup {:.2}× faster: a TypeId is already a hash, \
             which is why http::Extensions (behind axum's Extension) does the same.",
            against_sip.speedup
        ),
        Verdict::Worse => "SipHash measured faster this run — a result to investigate, not \
                           the expected cost of hashing a key twice."
            .to_owned(),
        Verdict::Tie { within } => format!(
            "No difference this run can see (±{:.1} %): with three keys, the hashing is small \
             next to the probe and the downcast.",
            100.0 * within
        ),
        Verdict::Equal | Verdict::TooFewSamples => {
            "Too few rounds for a verdict; see the figures above.".to_owned()
        }
    };
    n.say(&text);
    Ok(())
}
