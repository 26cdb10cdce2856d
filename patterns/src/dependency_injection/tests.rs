//! A test double injected per way, the errors every way shares, the
//! locator's own errors, and the demo in quick mode.

use std::sync::Arc;

use super::demo::demo;
use super::*;

/// One wiring's `notify`, to run the same cases through each.
type NotifyFn<'a> = &'a dyn Fn(UserId) -> Result<Receipt, NotifyError>;
/// Puts some of the services into a locator.
type Fill = fn(&mut ServiceLocator);

const ADA: UserId = UserId(7);
const NOBODY: UserId = UserId(99);

fn store() -> MemoryStore {
    MemoryStore::from_iter([(ADA, "ada@example.com"), (UserId(8), "bob@example.com")])
}

fn sent(at: u64, to: &str, body: &str) -> SentMessage {
    SentMessage {
        to: to.into(),
        body: body.into(),
        at: Timestamp(at),
    }
}

fn full_locator(clock: SharedClock, store: SharedStore, sender: SharedSender) -> ServiceLocator {
    let mut locator = ServiceLocator::new();
    assert!(locator.provide(clock).is_none());
    assert!(locator.provide(store).is_none());
    assert!(locator.provide(sender).is_none());
    locator
}

#[test]
fn generic_notifier_sends_through_injected_doubles() {
    let sender = RecordingSender::default();
    let notifier = GenericNotifier::new(FixedClock(Timestamp(60)), store(), &sender);
    let receipt = notifier
        .notify(ADA, "build is green")
        .expect("ada is known");
    assert_eq!(
        receipt,
        Receipt {
            user: ADA,
            at: Timestamp(60),
            bytes: 14
        }
    );
    assert_eq!(
        sender.sent(),
        [sent(60, "ada@example.com", "build is green")]
    );
}

#[test]
fn borrowed_notifier_sends_through_injected_doubles() {
    let (clock, store, sender) = (
        FixedClock(Timestamp(61)),
        store(),
        RecordingSender::default(),
    );
    let notifier = BorrowedNotifier::new(&clock, &store, &sender);
    notifier.notify(ADA, "one").expect("ada is known");
    notifier.notify(UserId(8), "two").expect("bob is known");
    assert_eq!(
        sender.sent(),
        [
            sent(61, "ada@example.com", "one"),
            sent(61, "bob@example.com", "two")
        ]
    );
}

#[test]
fn shared_notifier_sends_from_other_threads() {
    let sender = Arc::new(RecordingSender::default());
    let notifier = SharedNotifier::new(
        Arc::new(FixedClock(Timestamp(62))),
        Arc::new(store()),
        sender.clone(),
    );
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let notifier = notifier.clone();
            std::thread::spawn(move || notifier.notify(ADA, "hi"))
        })
        .collect();
    for handle in handles {
        handle
            .join()
            .expect("the thread does not panic")
            .expect("ada is known");
    }
    assert_eq!(sender.sent(), vec![sent(62, "ada@example.com", "hi"); 4]);
}

#[test]
fn locator_notifier_sends_through_injected_doubles() {
    let sender = Arc::new(RecordingSender::default());
    let locator = full_locator(
        Arc::new(FixedClock(Timestamp(63))),
        Arc::new(store()),
        sender.clone(),
    );
    let notifier = LocatorNotifier::checked(Arc::new(locator)).expect("all three provided");
    notifier.notify(ADA, "hi").expect("ada is known");
    assert_eq!(sender.sent(), [sent(63, "ada@example.com", "hi")]);
}

#[test]
fn a_double_replaces_a_provided_service_in_the_locator() {
    let mut locator = full_locator(
        Arc::new(SystemClock),
        Arc::new(store()),
        Arc::new(NullSender),
    );
    let recording = Arc::new(RecordingSender::default());
    let replaced = locator.provide::<SharedSender>(recording.clone());
    assert!(replaced.is_some(), "the null sender was there before");
    assert_eq!(locator.len(), 3);
    LocatorNotifier::new(Arc::new(locator))
        .notify(ADA, "hi")
        .expect("ada is known");
    assert_eq!(recording.sent().len(), 1);
}

#[test]
fn every_way_reports_an_unknown_user_and_a_refusal_alike() {
    let clock = FixedClock(Timestamp(0));
    let store = store();
    let sender = RecordingSender::refusing("bob@example.com");
    let shared_sender: SharedSender = Arc::new(RecordingSender::refusing("bob@example.com"));
    let shared = SharedNotifier::new(
        Arc::new(clock),
        Arc::new(store.clone()),
        shared_sender.clone(),
    );
    let locator = LocatorNotifier::new(Arc::new(full_locator(
        Arc::new(clock),
        Arc::new(store.clone()),
        shared_sender,
    )));
    let generic = GenericNotifier::new(clock, &store, &sender);
    let borrowed = BorrowedNotifier::new(&clock, &store, &sender);
    let ways: [(&str, NotifyFn<'_>); 4] = [
        ("generic", &|u| generic.notify(u, "x")),
        ("&dyn", &|u| borrowed.notify(u, "x")),
        ("Arc<dyn>", &|u| shared.notify(u, "x")),
        ("locator", &|u| locator.notify(u, "x")),
    ];
    for (way, notify) in ways {
        assert_eq!(
            notify(NOBODY),
            Err(NotifyError::UnknownUser(NOBODY)),
            "{way}"
        );
        let Err(NotifyError::Send(refused)) = notify(UserId(8)) else {
            panic!("{way}: the refusing sender must refuse bob");
        };
        assert_eq!(refused.to, "bob@example.com", "{way}");
    }
    assert!(sender.sent().is_empty(), "nothing refused is recorded");
}

#[test]
fn a_missing_service_is_an_err_naming_its_type() {
    let mut services = ServiceLocator::new();
    services.provide::<SharedClock>(Arc::new(FixedClock(Timestamp(0))));
    services.provide::<SharedStore>(Arc::new(store()));
    let services = Arc::new(services);
    let error = LocatorNotifier::new(services.clone())
        .notify(ADA, "hi")
        .expect_err("no sender was provided");
    let NotifyError::Missing(missing) = &error else {
        panic!("expected a missing service, got {error:?}");
    };
    assert_eq!(missing.short_name(), "Arc<dyn Sender + Send + Sync>");
    let message = error.to_string();
    assert!(
        message.contains("holds no `Arc<dyn Sender + Send + Sync>`"),
        "{message}"
    );
    assert!(message.contains("ServiceLocator::provide"), "{message}");
    assert_eq!(
        LocatorNotifier::checked(services).expect_err("no sender"),
        *missing
    );
}

#[test]
fn each_missing_service_is_named_in_turn() {
    let cases: [(&str, Fill); 3] = [
        ("Arc<dyn Clock + Send + Sync>", |_| {}),
        ("Arc<dyn Store + Send + Sync>", |l| {
            l.provide::<SharedClock>(Arc::new(SystemClock));
        }),
        ("Arc<dyn Sender + Send + Sync>", |l| {
            l.provide::<SharedClock>(Arc::new(SystemClock));
            l.provide::<SharedStore>(Arc::new(MemoryStore::default()));
        }),
    ];
    for (missing, fill) in cases {
        let mut locator = ServiceLocator::new();
        fill(&mut locator);
        let error = LocatorNotifier::checked(Arc::new(locator)).expect_err(missing);
        assert_eq!(error.short_name(), missing);
    }
}

#[test]
fn the_locator_keys_by_exact_type() {
    let mut locator = ServiceLocator::new();
    // A concrete `Arc<FixedClock>` is not an `Arc<dyn Clock + ..>`: the key
    // is the exact type, which is why `provide` is called with it named.
    locator.provide(Arc::new(FixedClock(Timestamp(5))));
    assert!(locator.contains::<Arc<FixedClock>>());
    assert!(locator.get::<SharedClock>().is_err());
    locator.provide(42_u32);
    locator.provide("a str");
    assert_eq!(locator.get::<u32>(), Ok(&42));
    assert_eq!(locator.get::<&str>(), Ok(&"a str"));
    assert_eq!(locator.provide(43_u32), Some(42));
    assert_eq!(locator.len(), 3);
    assert_eq!(
        locator.get::<u64>(),
        Err(MissingService { type_name: "u64" })
    );
}

#[test]
fn type_id_hasher_passes_a_u64_through_and_mixes_bytes() {
    use std::hash::Hasher;
    let mut hasher = TypeIdHasher::default();
    hasher.write_u64(0xDEAD_BEEF);
    assert_eq!(hasher.finish(), 0xDEAD_BEEF);
    let hash = |bytes: &[u8]| {
        let mut h = TypeIdHasher::default();
        h.write(bytes);
        h.finish()
    };
    assert_ne!(hash(b"ab"), hash(b"ba"));
    assert_ne!(hash(b"a"), hash(b"b"));
}

#[test]
fn short_type_names_drop_module_paths() {
    for (full, short) in [
        ("u64", "u64"),
        ("alloc::string::String", "String"),
        (
            "alloc::sync::Arc<dyn my_crate::di::Sender + core::marker::Send>",
            "Arc<dyn Sender + Send>",
        ),
        ("core::option::Option<(a::B, &c::D)>", "Option<(B, &D)>"),
        ("", ""),
    ] {
        assert_eq!(short_type_name(full), short, "{full}");
    }
}

#[test]
fn both_stores_answer_alike() {
    let pairs = [(UserId(3), "c@x"), (UserId(0), "a@x"), (UserId(3), "c2@x")];
    let map = MemoryStore::from_iter(pairs);
    let table = IndexedStore::from_iter(pairs);
    for user in (0..6).map(UserId) {
        assert_eq!(map.address_of(user), table.address_of(user), "{user:?}");
    }
    assert_eq!(table.address_of(UserId(3)), Some("c2@x"));
    assert_eq!(table.address_of(UserId(1)), None);
    assert_eq!(table.address_of(UserId(u32::MAX)), None);
    assert_eq!(map.len(), 2);
}

#[test]
fn null_sender_refuses_an_empty_body() {
    let notifier = GenericNotifier::new(SystemClock, store(), NullSender);
    assert!(notifier.notify(ADA, "x").is_ok());
    let error = notifier.notify(ADA, "").expect_err("empty body");
    assert!(error.to_string().contains("the body is empty"), "{error}");
}

#[test]
fn unknown_user_message_says_what_to_do() {
    let message = NotifyError::UnknownUser(NOBODY).to_string();
    assert_eq!(
        message,
        "no address for user 99: add one to the store before notifying them"
    );
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("patterns/dependency-injection", demo);
    assert!(n.comparison_with("generic parameters").is_some());
    assert!(n.comparison_with("direct field access").is_some());
    assert!(n.comparison_with("HashMap<TypeId> (SipHash)").is_some());
    assert_eq!(
        n.comparisons()
            .iter()
            .filter(|c| c.peer_name == "generic parameters")
            .count(),
        3,
        "&dyn, Arc<dyn> and the locator, each against the generic call"
    );
    assert_eq!(
        n.recorded("missing-dependency Errs returned by the locator (no panic)"),
        Some(2.0)
    );
}
