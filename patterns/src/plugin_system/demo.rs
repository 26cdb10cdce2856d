//! The demo of `patterns/plugin-system`: the same plugin found three ways,
//! what each way does with a broken plugin, and the cost of one call
//! through each.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mastery_kit::{Area, Mode, Narrator, Topic, Unit, Verdict};

use super::example_plugins::{self, ALL_CRATES, FUTURE_ABI_CRATE, NO_ENTRY_CRATE, ROT13_CRATE};
use super::{
    CompiledPlugin, LibraryPlugin, Plugin, PluginError, ProcessPlugin, compiled_plugins,
    load_library, start_executable,
};

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
    let Some(dir) = example_dir(n) else {
        return Ok(());
    };
    let library = libraries(n, &dir)?;
    let process = executables(n, &dir)?;
    call_costs(n, library, process)?;
    Ok(())
}

/// The directory holding the built example plugins: found next to this
/// program, or (full mode only) built there with cargo once. `None` after
/// a skip line naming the command that builds them.
fn example_dir(n: &mut Narrator) -> Option<PathBuf> {
    let built = |dir: &Path| {
        ALL_CRATES
            .iter()
            .all(|c| example_plugins::library_file(dir, c).exists())
            && example_plugins::rot13_executable(dir).exists()
    };
    let dir = example_plugins::profile_dir()?;
    if built(&dir) {
        return Some(dir);
    }
    let command = example_plugins::build_command(&dir, &ALL_CRATES);
    let shown = example_plugins::shown(&command);
    if !example_plugins::can_build_into(&dir) {
        n.say(&format!(
            "skipped: the example plugins are not next to this program ({}), and it does not run \
             from a cargo target directory of the workspace to build them into; run `cargo build \
             --release --workspace` and target/release/mastery.",
            dir.display()
        ));
        return None;
    }
    if n.mode() == Mode::Quick {
        n.say(&format!(
            "skipped: the example plugins are not built next to this program (quick mode builds nothing); build them with {shown}, or `cargo build --workspace`."
        ));
        return None;
    }
    n.say(&format!(
        "The example plugins are not built yet; building them once (not timed): {shown}"
    ));
    match example_plugins::build(&ALL_CRATES) {
        Ok(dir) if built(&dir) => Some(dir),
        Ok(_) => {
            n.say("skipped: cargo finished but the plugins are not where expected.");
            None
        }
        Err(e) => {
            n.say(&format!("skipped: {e}"));
            None
        }
    }
}

fn libraries(n: &mut Narrator, dir: &Path) -> anyhow::Result<LibraryPlugin> {
    n.section("Dynamic libraries: a versioned C ABI");
    n.say(
        "A plugin library exports two functions: mastery_plugin_abi_version() -> u32, whose \
         signature never changes, and mastery_plugin_v1() -> *const PluginV1, a #[repr(C)] table \
         the host reads only when the version matched. The library is never unloaded.",
    );
    let path = example_plugins::library_file(dir, ROT13_CRATE);
    let mut plugin = load_library(&path)?;
    let info = plugin.info().clone();
    n.show(format!(
        "load_library({}) → {} {} (ABI {})",
        file_name(&path),
        info.name,
        info.version,
        info.abi.unwrap_or_default()
    ));
    n.show(format!(
        "call(\"Hello, plugins\") → {:?}",
        plugin.call("Hello, plugins")?
    ));

    n.say("What the loader does with what is not a good plugin — each an Err, the host goes on:");
    let not_a_library = std::env::temp_dir().join(format!(
        "{}not_a_plugin_{}{}",
        std::env::consts::DLL_PREFIX,
        std::process::id(),
        std::env::consts::DLL_SUFFIX
    ));
    std::fs::write(&not_a_library, "plain text\n")?;
    let mut refusals = 0_u64;
    for (what, path) in [
        (
            "another ABI version",
            example_plugins::library_file(dir, FUTURE_ABI_CRATE),
        ),
        (
            "no entry point",
            example_plugins::library_file(dir, NO_ENTRY_CRATE),
        ),
        ("a text file", not_a_library.clone()),
    ] {
        match load_library(&path) {
            Err(e) => {
                refusals += 1;
                n.show(format!("{what:<20} → Err: {}", short(&e)));
            }
            Ok(_) => anyhow::bail!("{} must be refused ({what})", path.display()),
        }
    }
    // Best effort: a leftover temp file is harmless.
    let _ = std::fs::remove_file(&not_a_library);
    match plugin.call("panic!") {
        Err(e @ PluginError::Panicked { .. }) => {
            refusals += 1;
            n.show(format!("{:<20} → Err: {e}", "a panic in call()"));
        }
        other => anyhow::bail!("the plugin's panic must come back as an Err, got {other:?}"),
    }
    n.say(
        "The panic was caught inside the plugin by catch_unwind (export_plugin! wraps every \
         call) and crossed the boundary as a status and a message. Unwinding through extern \"C\" \
         would have aborted the whole process.",
    );
    n.record_count("bad plugins refused with an Err (no crash)", refusals);
    Ok(plugin)
}

fn executables(n: &mut Narrator, dir: &Path) -> anyhow::Result<ProcessPlugin> {
    n.section("Executables: mastery-<name> over a line protocol");
    n.say(
        "cargo runs cargo-foo for `cargo foo`, git runs git-foo: the plugin is any executable \
         with the right name on PATH. This one answers the handshake `mastery-plugin 1 rot13 \
         0.1.0`, then one `ok …` or `err …` line per `call …` line.",
    );
    let path = example_plugins::rot13_executable(dir);
    let mut plugin = start_executable(&path, Duration::from_secs(5))?;
    n.show(format!(
        "start_executable({}) → {} {} (protocol {})",
        file_name(&path),
        plugin.info().name,
        plugin.info().version,
        plugin.info().abi.unwrap_or_default()
    ));
    n.show(format!(
        "call(\"Hello, plugins\") → {:?}",
        plugin.call("Hello, plugins")?
    ));
    match plugin.call("panic!") {
        Err(e) => n.show(format!("call(\"panic!\")       → Err: {e}")),
        Ok(answer) => anyhow::bail!("the executable must report its panic, got {answer:?}"),
    }
    n.say(
        "A plugin process that exits or hangs is an Err too — Exited with its status, or \
         killed after the timeout (the tests write such scripts) — and never takes the host down.",
    );
    Ok(plugin)
}

/// `calls` calls of `plugin` on a short line; the answers' total length,
/// so the work cannot be dropped.
fn call_batch(plugin: &mut dyn Plugin, calls: u32) -> Result<usize, PluginError> {
    let mut total = 0;
    for _ in 0..calls {
        total += plugin.call(black_box("Hello, plugins"))?.len();
    }
    Ok(total)
}

fn call_costs(
    n: &mut Narrator,
    mut library: LibraryPlugin,
    mut process: ProcessPlugin,
) -> anyhow::Result<()> {
    n.section("What one call costs, way by way");
    let compiled = compiled_plugins()
        .into_iter()
        .find(|p| p.name == "rot13")
        .ok_or_else(|| anyhow::anyhow!("the compiled-in rot13 plugin is registered"))?;
    let mut compiled = CompiledPlugin::from(compiled);
    let fast_calls: u32 = n.mode().pick(200, 20_000);
    let process_calls: u32 = n.mode().pick(20, 400);
    let rounds = n.samples();
    n.say(&format!(
        "The same ROT13 of a 14-byte line through each way: {fast_calls} calls per sample \
         compiled in and through the library, {process_calls} round trips per sample to the \
         process; {rounds} rounds, the three back to back in each, the one going first rotating. \
         Each figure is one call."
    ));
    let mut ways: [(&mut dyn Plugin, u32); 3] = [
        (&mut compiled, fast_calls),
        (&mut library, fast_calls),
        (&mut process, process_calls),
    ];
    let mut ns: [Vec<f64>; 3] = Default::default();
    for round in 0..rounds {
        for k in 0..ways.len() {
            let way = (round + k) % ways.len();
            let (plugin, calls) = &mut ways[way];
            let start = Instant::now();
            black_box(call_batch(&mut **plugin, *calls)?);
            ns[way].push(start.elapsed().as_secs_f64() * 1e9 / f64::from(*calls));
        }
    }
    let [compiled_ns, library_ns, process_ns] = &ns;
    for (label, ours, peer, peer_name, what) in [
        (
            "one call: cdylib through the C ABI vs compiled in (inventory)",
            library_ns,
            compiled_ns,
            "compiled in",
            "an indirect call the compiler cannot inline, and a copy of the answer out of the \
             plugin's allocation handed back to its free()",
        ),
        (
            "one call: mastery-rot13 process vs compiled in (inventory)",
            process_ns,
            compiled_ns,
            "compiled in",
            "two pipe writes, two reads and the context switches between the processes",
        ),
        (
            "one call: mastery-rot13 process vs cdylib",
            process_ns,
            library_ns,
            "cdylib",
            "the pipes and context switches, against a function call",
        ),
    ] {
        let c = n.compare_samples(label, ours, peer, peer_name, Unit::NsPerOp);
        let text = match c.verdict {
            Verdict::Worse => format!(
                "{peer_name} was faster: this way costs {:.1}× as much per call here — {what}.",
                1.0 / c.speedup
            ),
            Verdict::Better => format!(
                "This way measured faster than {peer_name} ({:.2}×), which its extra work ({what}) \
                 does not explain: noise or code placement, to distrust.",
                c.speedup
            ),
            Verdict::Tie { within } => format!(
                "No difference this run can see (±{:.1} %): {what} is small next to the ROT13 \
                 itself.",
                100.0 * within
            ),
            Verdict::Equal | Verdict::TooFewSamples => {
                "Too few rounds for a verdict; see the figures above.".to_owned()
            }
        };
        n.say(&text);
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The error's message without the directory part of the path.
fn short(error: &PluginError) -> String {
    let text = error.to_string();
    match text.split_once(": ") {
        Some((path, rest)) if path.contains(std::path::MAIN_SEPARATOR) => {
            format!("{}: {rest}", file_name(Path::new(path)))
        }
        _ => text,
    }
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
