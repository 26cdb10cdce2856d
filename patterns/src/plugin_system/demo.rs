//! The demo of `patterns/plugin-system`: the same plugin found three ways,
//! what each way does with a broken plugin, and the cost of one call
//! through each.

use mastery_kit::{Area, Narrator, Topic};

use super::{CompiledPlugin, Plugin, compiled_plugins};

mastery_kit::inventory::submit! {
    Topic {
        id: "patterns/plugin-system",
        area: Area::Patterns,
        rank: 3,
        title: "Plugin systems (entry_points)",
        python: "importlib.metadata.entry_points(group=...): plugins found in package metadata, loaded by import at run time",
        rust: "inventory (registered at compile time), cdylib + libloading behind a versioned #[repr(C)] ABI, mastery-<name> executables over a line protocol",
        path: "patterns/src/plugin_system/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    compiled_in(n)?;
    Ok(())
}

fn compiled_in(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Compiled in: inventory");
    n.say(
        "Each crate linked into the program submits a StaticPlugin value; inventory gathers them \
         before main runs. The kit finds its own topics the same way.",
    );
    n.show("mastery_kit::inventory::submit! { StaticPlugin { name: \"rot13\", .. } }");
    let plugins = compiled_plugins();
    for plugin in &plugins {
        let mut plugin = CompiledPlugin::from(*plugin);
        let answer = plugin.call("Hello, plugins")?;
        n.show(format!(
            "{:<12} {:<8} call(\"Hello, plugins\") → {answer:?}",
            plugin.info().name,
            plugin.info().version
        ));
    }
    n.record_count("plugins registered at compile time", plugins.len());
    Ok(())
}
