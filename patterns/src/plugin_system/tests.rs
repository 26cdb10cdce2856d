use super::*;

#[test]
fn compiled_plugins_are_registered_and_sorted() {
    let names: Vec<_> = compiled_plugins().iter().map(|p| p.name).collect();
    assert_eq!(names, ["rot13", "word-count"]);
}

#[test]
fn a_compiled_plugin_runs_through_the_contract() {
    let rot13_plugin = compiled_plugins()[0];
    let mut plugin = CompiledPlugin::from(rot13_plugin);
    assert_eq!(plugin.info().origin, Origin::Compiled);
    assert_eq!(plugin.info().abi, None);
    assert_eq!(plugin.call("Hello, World!").unwrap(), "Uryyb, Jbeyq!");
}

#[test]
fn rot13_twice_is_the_identity() {
    let text = "The quick brown fox jumps over the lazy dog, 0-9 ünïcode";
    assert_eq!(rot13(&rot13(text)), text);
    assert_ne!(rot13(text), text);
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("patterns/plugin-system", demo::demo);
    assert_eq!(n.recorded("plugins registered at compile time"), Some(2.0));
}
